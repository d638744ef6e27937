import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../../core/logger';

/** One debug line per request: method, path, status, duration. Never headers or bodies (they carry
 * signatures and JIT configs). Off at the default `info` level. */
export function requestLog(logger: Logger, now: () => number): MiddlewareHandler {
  return async (c, next) => {
    const started = now();
    try {
      await next();
    } finally {
      logger.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: now() - started }, 'request');
    }
  };
}
