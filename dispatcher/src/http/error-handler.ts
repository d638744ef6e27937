import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import { HttpError } from './http-error';

const CODES: Partial<Record<number, string>> = { 400: 'bad_request', 401: 'unauthorized', 404: 'not_found', 413: 'payload_too_large' };

/** The single error mapping: expected failures keep their status and code; anything else is a 500
 * whose details go to the log, never to the client. */
export function errorHandler(logger: Logger): ErrorHandler {
  return (error, c) => {
    if (error instanceof HttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status as ContentfulStatusCode);
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      return c.json({ error: { code: CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request'), message: error.message || `HTTP ${status}` } }, status);
    }
    logger.error({ err: errorMessage(error), path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  };
}

/** 404 in the same shape as every other error. */
export const notFound: NotFoundHandler = (c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
