/**
 * Who may see the status page: whoever holds the fleet token, as `Authorization: Bearer <token>` or
 * as the session cookie the login form sets. The cookie holds an HMAC derived from the token, never
 * the token itself, so a leaked cookie does not reveal the token, and changing the token ends every
 * session. Both are compared in constant time.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { safeEqual } from './fleet-routes';
import { HttpError } from './http-error';

export const STATUS_COOKIE = 'tartfleet_status';
/** A session lasts a working day; then the token is asked for again. */
export const STATUS_SESSION_SECONDS = 12 * 3600;

/** The cookie value for `token`: HMAC-SHA256(token, a fixed label), base64url. */
export async function sessionValue(token: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(token), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('tartfleet status session v1')));
  return btoa(String.fromCharCode(...mac)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** True when the request carries the fleet token (bearer) or a session cookie made from it. */
export async function hasStatusAccess(c: Context, token: string): Promise<boolean> {
  const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '');
  if (bearer) return safeEqual(bearer[1] as string, token);
  const cookie = getCookie(c, STATUS_COOKIE);
  return cookie !== undefined && cookie.length <= 128 && (await safeEqual(cookie, await sessionValue(token)));
}

/** The request came over https (directly, or through a proxy that says so): the cookie is Secure. */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

/** 404 without a configured token (the page does not exist), then the check; `onDenied` answers
 * requests without access (a login form for the page, a 401 for data). */
export function requireStatusAccess(token: string | undefined, onDenied: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    if (!token) throw new HttpError(404, 'not_found', '/status needs fleetToken in the config');
    if (!(await hasStatusAccess(c, token))) return onDenied(c);
    await next();
  };
}
