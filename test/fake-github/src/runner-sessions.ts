import { createPublicKey, createVerify, randomBytes, randomUUID } from 'node:crypto';
import type { FakeState } from './state';
import type { RunnerRecord } from './types';

/** Why a runner's OAuth assertion was refused (`invalid_client` is what the real runner reacts to). */
export type AssertionError = 'invalid_request' | 'invalid_client';

/**
 * Runner-side credentials: the OAuth token exchange (client assertion signed with the JIT config's
 * RSA key), access tokens, and sessions. At most one session per runner, like GitHub's
 * `TaskAgentSessionConflictException`.
 */
export interface RunnerSessions {
  /** Exchanges a signed client assertion for an access token. */
  exchange(assertion: string, audience: string): { token: string } | { error: AssertionError };
  /** The runner an access token belongs to, if both still exist. */
  runnerForToken(token: string): RunnerRecord | undefined;
  /** Opens a session; `conflict` when the runner already has one. */
  open(runner: RunnerRecord): { sessionId: string } | { conflict: true };
  close(runner: RunnerRecord, sessionId: string): boolean;
  /** Drops tokens and the session of a deleted runner. */
  revoke(runnerId: number): void;
}

function verifyRs256(jwt: string, publicKeyPem: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    if (head.alg !== 'RS256') return undefined;
    const ok = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(createPublicKey(publicKeyPem), Buffer.from(signature, 'base64url'));
    return ok ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the session registry over `state`. */
export function createRunnerSessions(state: FakeState): RunnerSessions {
  const tokens = new Map<string, number>();
  const byClientId = (clientId: string): RunnerRecord | undefined => {
    for (const r of state.runners.values()) if (r.clientId === clientId) return r;
    return undefined;
  };
  return {
    exchange(assertion, audience) {
      const parts = assertion.split('.');
      if (parts.length !== 3) return { error: 'invalid_request' };
      let claims: Record<string, unknown>;
      try {
        claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        return { error: 'invalid_request' };
      }
      const runner = typeof claims.sub === 'string' ? byClientId(claims.sub) : undefined;
      if (!runner) return { error: 'invalid_client' };
      const verified = verifyRs256(assertion, runner.publicKeyPem);
      const nowSec = Math.floor(state.clock.now() / 1000);
      if (!verified || verified.aud !== audience || typeof verified.exp !== 'number' || verified.exp < nowSec) return { error: 'invalid_client' };
      const token = randomBytes(24).toString('hex');
      tokens.set(token, runner.id);
      return { token };
    },
    runnerForToken(token) {
      const id = tokens.get(token);
      return id === undefined ? undefined : state.runners.get(id);
    },
    open(runner) {
      if (runner.sessionId !== null) return { conflict: true };
      runner.sessionId = randomUUID();
      runner.lastSeenAt = state.clock.now();
      return { sessionId: runner.sessionId };
    },
    close(runner, sessionId) {
      if (runner.sessionId !== sessionId) return false;
      runner.sessionId = null;
      runner.lastSeenAt = state.clock.now();
      return true;
    },
    revoke(runnerId) {
      for (const [token, id] of tokens) if (id === runnerId) tokens.delete(token);
    },
  };
}
