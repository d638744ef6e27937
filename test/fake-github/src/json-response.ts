import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * A JSON response as GitHub sends it: GET 200s carry a weak content `etag`, and a matching
 * `If-None-Match` gets 304 with an empty body. Hashing the string we serialise here is much cheaper
 * than re-reading a finished Response in a middleware.
 */
export function okJson(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (c.req.method === 'GET' && status === 200) {
    const etag = `W/"${createHash('sha1').update(text).digest('hex')}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    headers.etag = etag;
  }
  return c.body(text, status, headers);
}
