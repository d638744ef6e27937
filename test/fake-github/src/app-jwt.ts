import { createPublicKey, createVerify } from 'node:crypto';
import type { FakeState } from './state';
import type { AppRecord } from './types';

/** GitHub's messages for app JWT problems (401 bodies), so clients (and auth-app's skew logic) see the real text. */
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  expTooFar: "'Expiration time' claim ('exp') is too far in the future",
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  iatFuture: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  noIntegration: 'Integration not found',
} as const;

/** Does this bearer value look like a JWT (three base64url parts, JSON header)? */
export const looksLikeJwt = (token: string): boolean => /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token);

/**
 * Verifies a GitHub App JWT: RS256, `iss` = app id (or client id), `exp` in the future and at most
 * 10 minutes ahead, `iat` not in the future (GitHub allows a little skew; so do we: 60 s).
 */
export function verifyAppJwt(state: FakeState, jwt: string): { app: AppRecord } | { error: string } {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || s === undefined) return { error: JWT_MESSAGES.undecodable };
  let header: { alg?: string };
  let claims: { iss?: unknown; exp?: unknown; iat?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return { error: JWT_MESSAGES.undecodable };
  }
  if (header.alg !== 'RS256') return { error: JWT_MESSAGES.undecodable };
  const iss = String(claims.iss ?? '');
  const app = [...state.apps.values()].find((a) => String(a.id) === iss || a.clientId === iss);
  if (!app) return { error: JWT_MESSAGES.noIntegration };
  let ok: boolean;
  try {
    ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(createPublicKey(app.publicKeyPem), Buffer.from(s, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) return { error: JWT_MESSAGES.undecodable };
  const now = Math.floor(state.clock.now() / 1000);
  if (typeof claims.iat !== 'number' || claims.iat > now + 60) return { error: JWT_MESSAGES.iatFuture };
  if (typeof claims.exp !== 'number' || claims.exp <= now) return { error: JWT_MESSAGES.expired };
  if (claims.exp - now > 600 + 60) return { error: JWT_MESSAGES.expTooFar };
  return { app };
}
