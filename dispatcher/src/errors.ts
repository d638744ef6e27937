/**
 * The dispatcher's errors, on the project's one error shape (core/errors.ts). `retryable` separates
 * trouble that a later pass of the reconciler may get past (GitHub 5xx, rate limits, no free slot)
 * from permanent mistakes.
 */
import { TartfleetError } from '../../core/errors';

export type DispatcherErrorCode =
  | 'config'
  | 'github'
  | 'github_conflict'
  | 'github_rate_limited'
  | 'github_read_budget'
  | 'no_capacity'
  | 'unknown_pool'
  | 'bad_request';

export class DispatcherError extends TartfleetError {
  override readonly name = 'DispatcherError';
  constructor(
    override readonly code: DispatcherErrorCode,
    message: string,
    /** Worth trying again later. */
    retryable = false,
    /** HTTP status from GitHub when the error came from there. */
    readonly status?: number,
  ) {
    super(code, message, { retryable });
  }
}
