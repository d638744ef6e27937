import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { NO_SLOT_RETRY_AFTER_SECONDS, type ErrorCode } from '../../../core/agent-api/contract';
import { ImageError } from '../images/image-error';
import { StartRejectedError, WarmTargetError } from '../service';
import { ApiError } from '../routes/api-error';
import type { Logger } from '../../../core/logger';
import { errorMessage } from '../../../core/errors';


const STATUS_CODES: Partial<Record<number, ErrorCode>> = { 400: 'bad_request', 401: 'unauthorized', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large' };

const REJECTION_STATUS: Record<StartRejectedError['code'], ContentfulStatusCode> = { conflict: 409, no_slot: 503, draining: 503, unknown_pool: 422 };

function render(c: Context, status: ContentfulStatusCode, code: ErrorCode, message: string, retryAfterSeconds?: number): Response {
  if (retryAfterSeconds !== undefined) c.header('Retry-After', String(Math.max(0, Math.ceil(retryAfterSeconds))));
  return c.json({ error: { code, message } }, status);
}

/** The single error mapping: expected HTTP failures keep their status and code, service rejections
 * (runner starts, image operations) become 409/422/503/507, anything else is a 500 whose details go to the log and never to the client. */
export function errorHandler(logger: Logger): ErrorHandler {
  return (error, c) => {
    if (error instanceof ApiError) return render(c, error.status as ContentfulStatusCode, error.code, error.message, error.retryAfterSeconds);
    if (error instanceof StartRejectedError) {
      const retry = error.code === 'no_slot' ? (error.retryAfterSeconds ?? NO_SLOT_RETRY_AFTER_SECONDS) : error.retryAfterSeconds;
      return render(c, REJECTION_STATUS[error.code], error.code, error.message, retry);
    }
    if (error instanceof WarmTargetError) return render(c, 400, 'bad_request', error.message);
    if (error instanceof ImageError) {
      return render(c, error.status, error.code, error.message, error.code === 'no_slot' ? NO_SLOT_RETRY_AFTER_SECONDS : undefined);
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      return render(c, status, STATUS_CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request'), error.message || `HTTP ${status}`);
    }
    logger.error({ err: errorMessage(error), route: c.req.routePath, method: c.req.method }, 'unhandled error in request');
    return render(c, 500, 'internal', 'internal error; see the agent log');
  };
}

/** 404 in the same shape as every other error. */
export function notFoundHandler(): NotFoundHandler {
  return (c) => render(c, 404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
}
