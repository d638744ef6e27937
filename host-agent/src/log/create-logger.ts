/**
 * The agent's JSON logger (pino). Modules receive it as the `Logger` port (core/logger.ts) and add
 * context with child loggers: `runner`, `pool`, `stage`. Secrets are redacted by the one policy
 * (core/logger.ts `redact`), in log objects and in child bindings alike, so a record or error
 * object that happens to carry a JIT config cannot print it.
 */
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { redact } from '../../../core/logger';

export interface LoggerOptions {
  /** Default `info`; `LOG_LEVEL` is read by the config loader, not here. */
  level?: LevelWithSilent;
  /** Where lines go; stdout when omitted (launchd captures it into the log file). */
  destination?: DestinationStream;
  /** Fixed fields on every line (e.g. `host`). */
  base?: Record<string, unknown>;
}

/** Create the root logger. */
export function createLogger(options: LoggerOptions = {}): PinoLogger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { ...(options.base ?? {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
        log: (object) => redact(object) as Record<string, unknown>,
      },
      // pino's own err serializer runs before formatters.log; keep it, then redact its output.
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  // pino serialises child bindings once, without formatters.bindings, so redact them on the way in.
  // Children inherit from their parent via the prototype chain, so this covers every descendant.
  const pinoChild = logger.child;
  logger.child = function child(this: PinoLogger, bindings, childOptions) {
    return pinoChild.call(this, redact(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}
