/**
 * The one error shape of the project. Every domain error (tart, SSH, deadlines, the agent client, the
 * dispatcher, the action) extends `TartfleetError`: a `name`, a machine-readable `code`, and whether
 * trying again later may help (`retryable`) as opposed to a permanent mistake.
 */
export class TartfleetError extends Error {
  override readonly name: string = 'TartfleetError';
  constructor(
    readonly code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }

  /** Worth another try later (a busy host, a slow call, GitHub 5xx) rather than a caller's mistake. */
  readonly retryable: boolean;
}

/** The one way to turn a caught `unknown` into text for a log line, a record or an error message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** HTTP status carried by an error (Octokit's RequestError, the agent client's error), else undefined. */
export function errorStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = (error as { status: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}
