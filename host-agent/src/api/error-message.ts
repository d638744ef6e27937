/** The one way to turn a caught `unknown` into text for a log line, a record or an error message.
 * It lives beside the API contract because the agent, the dispatcher and the action all use it and
 * may import only this folder of the agent. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
