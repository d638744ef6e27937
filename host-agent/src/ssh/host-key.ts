import { createHash } from 'node:crypto';

/** How the agent decides to trust a guest's SSH host key. */
export type HostKeyPolicy =
  /** The key's SHA256 fingerprint must be one of these (`SHA256:…`, as `ssh-keygen -lf` prints it). */
  | { mode: 'pinned'; fingerprints: readonly string[] }
  /** Trust whatever key the guest presents, and warn: fresh clones have no prior known_hosts entry. */
  | { mode: 'accept-new' };

/** OpenSSH's fingerprint format: `SHA256:` + unpadded base64 of the SHA-256 of the key blob. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts fingerprints with or without the `SHA256:` prefix and with or without padding. */
export function normalizeFingerprint(fingerprint: string): string {
  const body = fingerprint.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
  return `SHA256:${body}`;
}
