/** The one way to turn a caught `unknown` into text for a log line or a record. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

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
