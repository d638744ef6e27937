/**
 * The runner listener's side of the fake GitHub's runner protocol, in process (the simulated image's
 * stand-in, test/sim/image/actions-runner/runner.mjs, is a process per runner): decode the JIT
 * config, prove the key with a signed client assertion, open a session, long-poll for a job, report
 * it complete. The fake's job-lost timeout is set beyond any job, so no lock renewals are sent.
 */
import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock';

export interface JobMessage {
  jobId: number;
  jobDisplayName: string;
  durationMs: number;
}

export interface RunnerConnection {
  /** The next job, or undefined when the poll ended without one (timeout, abort). */
  poll(signal?: AbortSignal): Promise<JobMessage | undefined>;
  complete(jobId: number, result: 'Succeeded' | 'Failed' | 'Canceled'): Promise<void>;
  close(): Promise<void>;
}

interface JitFiles {
  settings: { serverUrl: string };
  credentials: { data: { clientId: string; authorizationUrl: string } };
  rsa: Record<'modulus' | 'exponent' | 'd' | 'p' | 'q' | 'dp' | 'dq' | 'inverseQ', string>;
}

function decode(encoded: string): JitFiles {
  const files = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Record<string, string>;
  const file = (name: string): unknown => JSON.parse(Buffer.from(files[name] ?? '', 'base64').toString('utf8'));
  return { settings: file('.runner') as JitFiles['settings'], credentials: file('.credentials') as JitFiles['credentials'], rsa: file('.credentials_rsaparams') as JitFiles['rsa'] };
}

/** The RS256 client assertion the real runner sends, timed on `clock` (the fake checks `exp` on its clock). */
function assertion(jit: JitFiles, clock: Clock): string {
  const u = (v: string): string => Buffer.from(v, 'base64').toString('base64url');
  const { rsa } = jit;
  const key = createPrivateKey({ format: 'jwk', key: { kty: 'RSA', n: u(rsa.modulus), e: u(rsa.exponent), d: u(rsa.d), p: u(rsa.p), q: u(rsa.q), dp: u(rsa.dp), dq: u(rsa.dq), qi: u(rsa.inverseQ) } });
  const now = Math.floor(clock.now() / 1000);
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const { clientId, authorizationUrl } = jit.credentials.data;
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ sub: clientId, iss: clientId, aud: authorizationUrl, jti: randomUUID(), nbf: now - 30, iat: now - 30, exp: now + 300 })}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(key).toString('base64url')}`;
}

async function ok(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`runner: ${what} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return response;
}

/** Connects a runner registered by `jitConfig` and opens its session. */
export async function connectRunner(jitConfig: string, deps: { fetch: typeof globalThis.fetch; clock: Clock }): Promise<RunnerConnection> {
  const jit = decode(jitConfig);
  const base = jit.settings.serverUrl.replace(/\/+$/, '');
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion(jit, deps.clock) });
  const tokenRes = await ok(await deps.fetch(jit.credentials.data.authorizationUrl, { method: 'POST', body: form }), 'oauth2/token');
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-runner-version': '2.330.0', 'x-runner-os': 'macos' };
  const sessionRes = await ok(await deps.fetch(`${base}/sessions`, { method: 'POST', headers, body: '{}' }), 'POST sessions');
  const { sessionId } = (await sessionRes.json()) as { sessionId: string };
  return {
    async poll(signal) {
      let res: Response;
      try {
        res = await deps.fetch(`${base}/sessions/${sessionId}/message`, { headers, ...(signal ? { signal } : {}) });
      } catch (error: unknown) {
        if (signal?.aborted) return undefined;
        throw error;
      }
      if (res.status === 202) return undefined;
      const message = (await (await ok(res, 'GET message')).json()) as { body: string };
      return JSON.parse(message.body) as JobMessage;
    },
    async complete(jobId, result) {
      await ok(await deps.fetch(`${base}/jobs/${jobId}/complete`, { method: 'POST', headers, body: JSON.stringify({ result }) }), 'complete');
    },
    async close() {
      await deps.fetch(`${base}/sessions/${sessionId}`, { method: 'DELETE', headers }).catch(() => undefined);
    },
  };
}
