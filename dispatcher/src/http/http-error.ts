import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { WebhookResult } from '../metrics-port';

/** An expected HTTP failure; the app's one error handler renders it as `{error:{code,message}}`. */
export class HttpError extends HTTPException {
  override readonly name = 'HttpError';
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    /** For a refused webhook delivery: the result it counts as. */
    readonly webhookResult?: WebhookResult,
  ) {
    super(status, { message });
  }
}
