import type { MiddlewareHandler } from 'hono';
import { NONCE_HEADER, NOT_BEFORE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, type RequestVerifier, type VerifyFailure } from '../../../core/agent-api/auth';
import { ApiError } from '../routes/api-error';

export interface HmacAuthOptions {
  verifier: RequestVerifier;
  /** Called for every refusal, with a bounded reason (metrics, warn log). */
  onFailure?: (reason: VerifyFailure) => void;
}

const MESSAGES: Record<VerifyFailure, string> = {
  'missing-headers': `request must be signed: send ${TIMESTAMP_HEADER}, ${NONCE_HEADER} and ${SIGNATURE_HEADER}`,
  malformed: `${TIMESTAMP_HEADER} must be unix seconds, ${NONCE_HEADER} 32 hex digits and ${SIGNATURE_HEADER} sha256=<64 hex digits>`,
  'stale-timestamp': `${TIMESTAMP_HEADER} is more than 300 s away from the agent's clock; check NTP on both sides`,
  'bad-signature': `${SIGNATURE_HEADER} does not match the request under any configured secret for this host`,
  'wrong-scope': 'this route needs the admin secret (images, pools, drain, resume); the runner secret only starts, lists and cancels runners and reads host info',
  'signed-before-start': `the request was signed before the agent's last start and may be a replay; sign it again with a timestamp of at least ${NOT_BEFORE_HEADER}`,
  replayed: 'this signature was already used; sign every request afresh',
  'replay-cache-full': 'too many signed requests within the replay window; retry shortly',
};

const NO_BODY = new Uint8Array(0);

/** Verify the HMAC over method, path with query, timestamp and the raw body before anything parses
 * the body. Hono caches the body, so the JSON validator downstream reads the same bytes. */
export function hmacAuth(options: HmacAuthOptions): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    // A GET or HEAD Request never carries a body (fetch spec; the Node adapter drops one), so skip
    // materialising it: most /v1 calls are GETs, and reading forces a full Request object.
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    const result = await options.verifier.verify({
      method: c.req.method,
      path: url.pathname + url.search,
      body: hasBody ? new Uint8Array(await c.req.arrayBuffer()) : NO_BODY,
      timestamp: c.req.header(TIMESTAMP_HEADER),
      nonce: c.req.header(NONCE_HEADER),
      signature: c.req.header(SIGNATURE_HEADER),
    });
    if (!result.ok) {
      options.onFailure?.(result.reason);
      if (result.reason === 'replay-cache-full') throw new ApiError(503, 'internal', MESSAGES[result.reason], 1);
      // 403, not 401: the caller proved its secret; a 401 would send operators rotating the wrong one.
      if (result.reason === 'wrong-scope') throw new ApiError(403, 'forbidden', MESSAGES[result.reason]);
      if (result.reason === 'signed-before-start') c.header(NOT_BEFORE_HEADER, String(result.notBefore));
      throw new ApiError(401, 'unauthorized', MESSAGES[result.reason]);
    }
    await next();
  };
}
