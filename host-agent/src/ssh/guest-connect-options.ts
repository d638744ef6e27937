/**
 * SSH options for a guest, from the agent's `ssh` config: user, port, password or key, and the
 * host-key policy (the pinned image fingerprints, or accept-new for development). One mapping for every caller —
 * lifecycle, re-attach after a restart, smoke test, doctor.
 */
import type { AgentConfig } from '../config/schema';
import type { SshConnectOptions } from './remote-shell';

export function guestConnectOptions(
  ssh: AgentConfig['ssh'],
  target: { host: string; privateKey: string | Buffer | undefined; deadlineMs: number; signal?: AbortSignal },
): SshConnectOptions {
  return {
    host: target.host,
    port: ssh.port,
    username: ssh.user,
    ...(ssh.password === undefined ? {} : { password: ssh.password }),
    ...(target.privateKey === undefined ? {} : { privateKey: target.privateKey }),
    // The loader refuses `pinned` without a fingerprint; an empty list would match no key at all.
    hostKey: ssh.hostKeyPolicy === 'pinned' ? { mode: 'pinned', fingerprints: [ssh.hostKeyFingerprint ?? []].flat() } : { mode: 'accept-new' },
    deadlineMs: target.deadlineMs,
    ...(target.signal === undefined ? {} : { signal: target.signal }),
  };
}

/** What is weaker than the defaults in an `ssh` config, one sentence each, for the start-up log. */
export function sshConfigWarnings(ssh: AgentConfig['ssh']): string[] {
  const warnings: string[] = [];
  if (ssh.password !== undefined) {
    warnings.push('ssh.password is set: images hardened by packer/scripts/harden-sshd.sh refuse passwords; use ssh.privateKeyFile (the key the image authorises)');
  }
  if (ssh.hostKeyPolicy === 'accept-new') {
    warnings.push("ssh.hostKeyPolicy is 'accept-new': any guest host key is trusted, so an impostor at a VM's address would receive its JIT config; pin the image's sshHostKeyFingerprint outside development");
  }
  return warnings;
}
