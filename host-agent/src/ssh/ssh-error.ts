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

/** The one error shape of the SSH layer. */
export class SshError extends Error {
  override readonly name = 'SshError';
  constructor(
    readonly kind: SshErrorKind,
    /** `admin@127.0.0.5:22`. */
    readonly target: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`SSH ${target}: ${message}`, options);
  }

  /** Worth another dial while the guest boots; auth and host-key failures are permanent. */
  get retryable(): boolean {
    return this.kind === 'unreachable' || this.kind === 'timeout' || this.kind === 'closed' || this.kind === 'other';
  }
}
