import type { Context } from 'hono';
import { looksLikeJwt, verifyAppJwt } from './app-jwt';
import { githubError } from './github-error';
import type { FakeState } from './state';
import type { AppRecord, TokenRecord } from './types';

/** Who made a request. */
export type Identity =
  | { kind: 'anonymous'; key: string }
  | { kind: 'app'; key: string; app: AppRecord }
  | { kind: 'pat'; key: string; token: TokenRecord }
  | { kind: 'installation'; key: string; token: TokenRecord; installationId: number };

/** Reads `Authorization` (`Bearer`/`token`, any case) and resolves it; a Response means 401. */
export function identify(c: Context, state: FakeState): Identity | Response {
  const header = c.req.header('authorization');
  if (!header) return { kind: 'anonymous', key: `ip:${c.req.header('x-forwarded-for') ?? 'local'}` };
  const match = /^(bearer|token)\s+(\S+)$/i.exec(header.trim());
  if (!match?.[2]) return githubError(c, 401, 'Bad credentials');
  const value = match[2];
  if (looksLikeJwt(value)) {
    const result = verifyAppJwt(state, value);
    if ('error' in result) return githubError(c, 401, result.error);
    return { kind: 'app', key: `app:${result.app.id}`, app: result.app };
  }
  const token = state.tokens.get(value);
  if (!token || (token.expiresAt !== undefined && token.expiresAt <= state.clock.now())) return githubError(c, 401, 'Bad credentials');
  if (token.kind === 'installation' && token.installationId !== undefined) {
    return { kind: 'installation', key: `installation:${token.installationId}`, token, installationId: token.installationId };
  }
  return { kind: 'pat', key: `pat:${token.login}`, token };
}

/** `read` < `write` < `admin`. */
const LEVEL: Record<string, number> = { read: 1, write: 2, admin: 3 };

/**
 * Checks that the identity may act on `org` with `permission` at `level`. Apps (JWT) only reach
 * `/app*` and `…/installation`; installation tokens are limited to their account and permissions;
 * classic PATs act as an org admin. Returns the error Response, or undefined when allowed.
 */
export function authorize(c: Context, state: FakeState, who: Identity, org: string, permission: string, level: 'read' | 'write'): Response | undefined {
  if (who.kind === 'anonymous') return githubError(c, 401, 'Requires authentication');
  if (who.kind === 'app') {
    return githubError(c, 401, 'A JSON web token could not be decoded');
  }
  if (who.kind === 'pat') {
    const orgs = who.token.orgs;
    if (orgs !== undefined && !orgs.some((o) => o.toLowerCase() === org.toLowerCase())) return githubError(c, 404, 'Not Found');
    return undefined;
  }
  const installation = state.installations.get(who.installationId);
  if (!installation || installation.account.toLowerCase() !== org.toLowerCase()) return githubError(c, 404, 'Not Found');
  const granted = who.token.permissions?.[permission];
  if (!granted || (LEVEL[granted] ?? 0) < (LEVEL[level] ?? 9)) {
    c.header('x-accepted-github-permissions', `${permission}=${level}`);
    return githubError(c, 403, 'Resource not accessible by integration');
  }
  return undefined;
}

/** Requires an app JWT (for `/app*` and `…/installation`). */
export function requireApp(c: Context, who: Identity): AppRecord | Response {
  if (who.kind === 'app') return who.app;
  if (who.kind === 'anonymous') return githubError(c, 401, 'Requires authentication');
  return githubError(c, 401, 'A JSON web token could not be decoded');
}
