import type { ErrorCode } from '../api/contract';

/** A refusal of the image service; the app's error handler turns it into the contract's error body. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    /** HTTP status the refusal maps to (409, 422, 503, 507). */
    readonly status: 409 | 422 | 503 | 507,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
