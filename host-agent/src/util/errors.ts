import { errorMessage } from '../api/error-message';

export { errorMessage };

/** Raised when a wait ran past its deadline. `what` names the thing waited for. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  readonly code = 'deadline';
  constructor(
    readonly what: string,
    readonly deadlineMs: number,
    cause?: unknown,
  ) {
    super(`${what} did not finish within ${deadlineMs} ms${cause === undefined ? '' : `: ${errorMessage(cause)}`}`, { cause });
  }
}
