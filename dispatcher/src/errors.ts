/**
 * The dispatcher's one error shape. `retryable` separates trouble that a later pass of the
 * reconciler may get past (GitHub 5xx, rate limits, no free slot) from permanent mistakes.
 */
export type DispatcherErrorCode =
  | 'config'
  | 'github'
  | 'github_conflict'
  | 'github_rate_limited'
  | 'no_capacity'
  | 'unknown_pool'
  | 'bad_request';

export class DispatcherError extends Error {
  override readonly name = 'DispatcherError';
  constructor(
    readonly code: DispatcherErrorCode,
    message: string,
    /** Worth trying again later. */
    readonly retryable = false,
    /** HTTP status from GitHub when the error came from there. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export { errorMessage } from '../../host-agent/src/api/error-message';

/** HTTP status carried by an Octokit RequestError (or anything shaped like one), else undefined. */
export function errorStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = (error as { status: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}
