import { TartfleetError } from '../../../core/errors';

/** Why an SSH operation failed, as the lifecycle needs to act on it. */
export type SshErrorKind =
  /** TCP refused / reset / unreachable, or the handshake failed: the guest's sshd is not up yet. */
  | 'unreachable'
  /** No session within the deadline. */
  | 'timeout'
  /** The server refused our credentials. */
  | 'auth'
  /** The server's host key did not match the pinned fingerprint. */
  | 'host-key'
  /** The session or the connection closed under us. */
  | 'closed'
  | 'canceled'
  | 'other';

/** The SSH layer's error (on the project's one error shape, core/errors.ts). */
export class SshError extends TartfleetError {
  override readonly name = 'SshError';
  constructor(
    readonly kind: SshErrorKind,
    /** `admin@127.0.0.5:22`. */
    readonly target: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    // Worth another dial while the guest boots; auth and host-key failures are permanent.
    super(`ssh_${kind}`, `SSH ${target}: ${message}`, { retryable: kind === 'unreachable' || kind === 'timeout' || kind === 'closed' || kind === 'other', cause: options?.cause });
  }
}
