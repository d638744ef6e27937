/**
 * A logger that prints nothing (10,000 jobs' worth of lines would be the benchmark) but counts the
 * warnings and errors by message, so the JSON says what went wrong; FLEET_DEBUG=1 prints them too.
 */
import { createConsoleLogger, silentLogger, type Logger } from '../../core/logger';

export interface CountingLogger extends Logger {
  /** `warn: message` / `error: message` → how often. */
  counts(): Record<string, number>;
}

export function createCountingLogger(component: string): CountingLogger {
  const counts = new Map<string, number>();
  const echo = process.env.FLEET_DEBUG === '1' ? createConsoleLogger({ component }) : silentLogger;
  const count = (level: string, msg: string | undefined): void => {
    const key = `${level}: ${msg ?? ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const logger: CountingLogger = {
    debug: () => {},
    info: (obj, msg) => echo.info(obj, msg),
    warn(obj, msg) {
      count('warn', msg);
      echo.warn(obj, msg);
    },
    error(obj, msg) {
      count('error', msg);
      echo.error(obj, msg);
    },
    child: () => logger,
    counts: () => Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
  };
  return logger;
}
