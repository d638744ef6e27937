/**
 * The one logging port, and the one redaction policy. The agent's and the Node dispatcher's pino
 * loggers satisfy `Logger` and redact through `redact`; the serverless runtimes use `consoleLogger`.
 * Secrets are redacted by key name at any depth, arrays and errors included, so a record or error
 * object that happens to carry a JIT config or a token cannot print it.
 */

/** Structurally a subset of pino's Logger, so a pino instance is passed straight in. */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  /** A logger that adds `bindings` (e.g. `runner`, `pool`, `stage`) to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Keys whose values never reach a log line. */
export const REDACTED_KEY = /jit.?config|secret|token|password|passphrase|authorization|signature|private.?key|api.?key|cookie/i;
export const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

/** Copy of `value` with every sensitive key's value replaced by `[redacted]`, at any depth. */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    return redact({ type: value.name, message: value.message, stack: value.stack, ...(value as unknown as Record<string, unknown>) }, depth);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = REDACTED_KEY.test(key) ? REDACTED : redact(v, depth + 1);
  return out;
}

/** Drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/** JSON lines on the console, redacted, debug dropped: what Workers and Lambda logs pick up. */
export function createConsoleLogger(bindings: Record<string, unknown> = {}, write: (line: string) => void = (line) => console.log(line)): Logger {
  const line = (level: string) => (obj: Record<string, unknown>, msg?: string) =>
    write(JSON.stringify(redact({ level, ...bindings, ...obj, ...(msg === undefined ? {} : { msg }) })));
  return {
    debug: () => {},
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (more) => createConsoleLogger({ ...bindings, ...more }, write),
  };
}
