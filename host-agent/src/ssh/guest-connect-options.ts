/**
 * SSH options for a guest, from the agent's `ssh` config: user, port, password or key, and the
 * host-key policy (a pinned image fingerprint, or accept-new). One mapping for every caller —
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
    // The loader refuses `pinned` without a fingerprint, so '' never reaches a real connection.
    hostKey: ssh.hostKeyPolicy === 'pinned' ? { mode: 'pinned', fingerprint: ssh.hostKeyFingerprint ?? '' } : { mode: 'accept-new' },
    deadlineMs: target.deadlineMs,
    ...(target.signal === undefined ? {} : { signal: target.signal }),
  };
}
