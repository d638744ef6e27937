/** The logging calls the dispatcher makes; pino satisfies it, tests pass a recorder. Never log a JIT
 * config or a secret: callers pass names, ids and counts only. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** JSON lines on the console (no debug): what Workers and Lambda logs pick up. */
export const consoleLogger: Logger = {
  debug: () => {},
  info: (obj, msg) => console.log(JSON.stringify({ level: 'info', msg, ...obj })),
  warn: (obj, msg) => console.log(JSON.stringify({ level: 'warn', msg, ...obj })),
  error: (obj, msg) => console.log(JSON.stringify({ level: 'error', msg, ...obj })),
};
