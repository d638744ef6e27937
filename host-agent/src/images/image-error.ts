import type { ErrorCode } from '../../../core/agent-api/contract';
import { TartfleetError } from '../../../core/errors';

/** A refusal of the image service; the app's error handler turns it into the contract's error body. */
export class ImageError extends TartfleetError {
  override readonly name = 'ImageError';
  constructor(
    /** HTTP status the refusal maps to (409, 422, 503, 507). */
    readonly status: 409 | 422 | 503 | 507,
    override readonly code: ErrorCode,
    message: string,
  ) {
    super(code, message, { retryable: status === 503 || code === 'pull_in_progress' });
  }
}
