/**
 * The logging port the lifecycle modules write to. Structurally a subset of pino's Logger, so the
 * agent's pino instance is passed straight in; tests pass `silentLogger` or a recording one.
 * Never log the JIT config: records and errors built here do not carry it.
 */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  /** A logger that adds `bindings` (e.g. `runner`, `pool`, `stage`) to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
