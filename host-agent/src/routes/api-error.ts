import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode } from '../../../core/agent-api/contract';

/** An expected HTTP failure with the contract's machine-readable code; app.onError renders it as
 * `{error:{code,message}}` (plus `Retry-After` when set). */
export class ApiError extends HTTPException {
  override readonly name = 'ApiError';
  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    /** Sent as `Retry-After` (seconds). */
    readonly retryAfterSeconds?: number,
  ) {
    super(status, { message });
  }
}
