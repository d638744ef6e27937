/**
 * Typed client for the agent API (docs/architecture.md, "The agent API"), used by the dispatcher (Node, Workers, Lambda) and the
 * action. Only zod and web APIs here: no node: imports, so it bundles for Cloudflare Workers.
 *
 * A little over 300 lines: one small method per route of the contract, over one request/verify path;
 * splitting the methods across files would only scatter the route table.
 */
import type { z } from 'zod';
import {
  errorBodySchema,
  healthSchema,
  hostInfoSchema,
  imageListSchema,
  poolImageSchema,
  pruneResultSchema,
  pullStatusSchema,
  smokeResultSchema,
  type ImageList,
  type PoolImage,
  type PruneResult,
  type PullImageRequest,
  type PullStatus,
  type SmokeResult,
  runnerListSchema,
  runnerRecordSchema,
  type ErrorCode,
  type HostInfo,
  type RunnerRecord,
  type StartRunnerRequest,
  type WarmState,
  warmStateSchema,
} from './contract';
import { systemClock, type Clock } from '../clock';
import { TartfleetError } from '../errors';
import { createRequestSigner, NOT_BEFORE_HEADER, type SigningCrypto } from './auth';

/** Error codes a client can see: the agent's own, plus failures that happen before or after HTTP. */
export type AgentClientErrorCode = ErrorCode | 'network' | 'timeout' | 'invalid_response' | 'invalid_url' | 'insecure_url';

/** The one error type the client throws. `status` is 0 when no HTTP response was received. */
export class AgentClientError extends TartfleetError {
  override readonly name = 'AgentClientError';
  constructor(
    readonly status: number,
    override readonly code: AgentClientErrorCode,
    message: string,
    /** From the agent's `Retry-After` header (503 no slot / draining). */
    readonly retryAfterSeconds?: number,
  ) {
    // Worth retrying later (no slot, draining, network trouble, 5xx) rather than a caller bug.
    super(code, message, { retryable: code === 'no_slot' || code === 'draining' || code === 'network' || code === 'timeout' || status >= 500 });
  }
}

export interface AgentClientOptions {
  /** `https://mac-mini-1.example:8420` — or `http://127.0.0.1:8420` on the same host. */
  baseUrl: string;
  /** The current secret of the scope the caller holds (core/agent-api/scopes.ts): the runner secret
   * for runners and host info, the admin secret for everything (images, pools, drain, resume too). */
  secret: string;
  /** The agent's hostId, which every signature binds. Omitted, the client asks the agent's
   * unauthenticated `/healthz` once; given, a request reaching another host is refused there. */
  hostId?: string;
  /** Defaults to the global fetch (bound, as Workers require). */
  fetch?: typeof fetch;
  /** Per request, including reading the body. */
  timeoutMs: number;
  /** Permit plain `http://` to a non-loopback host. The JIT config is a credential, so this is off
   * unless the operator opts in (e.g. a TLS-terminating tunnel on the path). */
  allowInsecure?: boolean;
  /** Signing time and request timeouts; injected for tests. */
  clock?: Clock;
  /** Hash/HMAC implementation; WebCrypto by default (works in Workers and Node). */
  signingCrypto?: SigningCrypto;
}

export interface AgentClient {
  readonly baseUrl: string;
  host(): Promise<HostInfo>;
  /** 202: the runner is accepted and its lifecycle runs on the agent. */
  startRunner(request: StartRunnerRequest): Promise<RunnerRecord>;
  listRunners(): Promise<RunnerRecord[]>;
  /** undefined when the agent does not know the runner (404). */
  getRunner(name: string): Promise<RunnerRecord | undefined>;
  /** Tear the runner's VM down now; false when the agent does not know it (404). */
  cancelRunner(name: string): Promise<boolean>;
  /** Stop taking work; running jobs finish. Returns the host state after the change. */
  drain(): Promise<HostInfo>;
  resume(): Promise<HostInfo>;
}

/** Fleet operations (images, rollout, warm capacity), apart from AgentClient so fakes of the runner
 * calls need not implement them. */
export interface AgentImageClient {
  /** Images present, their users, the pools' current/previous images and the last pull. */
  listImages(): Promise<ImageList>;
  /** 202: the pull runs in the background (poll `listImages().pull`). 507 on low disk, 409 while
   * another image is being pulled. */
  pullImage(request: PullImageRequest): Promise<PullStatus>;
  /** Boots the image in a throw-away VM and runs its smoke test; slow, hence its own timeout. */
  smokeImage(image: string, options?: { timeoutMs?: number }): Promise<SmokeResult>;
  /** Switch a pool to a present image; the old one is kept as previous. */
  setPoolImage(pool: string, image: string): Promise<PoolImage>;
  /** Switch a pool back to its previous image. */
  rollbackPool(pool: string): Promise<PoolImage>;
  pruneImages(): Promise<PruneResult>;
  /** Warm VMs to keep for `pool` on this host, until `untilMs` (then its configured baseline).
   * `manual` (admin secret) sets the floor; `auto` (runner secret, the dispatcher's sizing) only
   * adds above it and needs an `untilMs` within minutes. */
  setWarmTarget(pool: string, count: number, untilMs?: number, source?: 'manual' | 'auto'): Promise<WarmState>;
}

/** localhost, ::1 or 127.x.y.z: plain HTTP there never crosses a network. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** fetch's own message is often just "fetch failed"; the cause says why (ECONNREFUSED, a TLS error). */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Create a client for one agent. Throws AgentClientError(`invalid_url`) for a base URL that is not
 * http(s), and (`insecure_url`) for plain HTTP to a non-loopback host unless `allowInsecure` is set. */
export function createAgentClient(options: AgentClientOptions): AgentClient & AgentImageClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new AgentClientError(0, 'invalid_url', `agent baseUrl must be an absolute http(s) URL like https://host:8420, got '${options.baseUrl}'`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new AgentClientError(0, 'invalid_url', `agent baseUrl must use https: or http:, got '${base.protocol}'`);
  }
  if (base.protocol === 'http:' && !isLoopback(base.hostname) && options.allowInsecure !== true) {
    throw new AgentClientError(
      0,
      'insecure_url',
      `agent baseUrl '${base.origin}' is plain http to a non-loopback host; runner JIT configs are credentials, so use https or set allowInsecure`,
    );
  }
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const signer = createRequestSigner(options.secret, options.signingCrypto);
  const clock = options.clock ?? systemClock;

  /** One HTTP exchange with the request timeout over sending and reading the body. */
  async function exchange(method: string, fullPath: string, headers: Record<string, string>, payload: string | undefined, timeoutMs: number): Promise<{ response: Response; text: string; what: string }> {
    const controller = new AbortController();
    const timer = clock.setTimer(timeoutMs, () => controller.abort());
    const what = `${method} ${origin}${fullPath}`;
    try {
      let response: Response;
      try {
        response = await doFetch(origin + fullPath, { method, headers, body: payload, signal: controller.signal });
      } catch (error: unknown) {
        if (controller.signal.aborted) throw new AgentClientError(0, 'timeout', `${what} got no response within ${timeoutMs} ms`);
        throw new AgentClientError(0, 'network', `${what} failed: ${describeNetworkError(error)}`);
      }
      const text = await response.text().catch((error: unknown) => {
        if (controller.signal.aborted) throw new AgentClientError(0, 'timeout', `${what}: body not received within ${timeoutMs} ms`);
        throw new AgentClientError(0, 'network', `${what}: reading the body failed: ${error instanceof Error ? error.message : String(error)}`);
      });
      return { response, text, what };
    } finally {
      timer.cancel();
    }
  }

  // The hostId every signature binds: configured, or asked once (a failure is asked again next time).
  let hostId: Promise<string> | undefined = options.hostId === undefined ? undefined : Promise.resolve(options.hostId);
  function targetHostId(): Promise<string> {
    hostId ??= exchange('GET', `${prefix}/healthz`, { accept: 'application/json' }, undefined, options.timeoutMs).then(({ response, text, what }) => {
      if (!response.ok) throw errorFrom(response, text, what);
      return parseBody(healthSchema, text, what, response.status).hostId;
    });
    hostId.catch(() => (hostId = undefined));
    return hostId;
  }

  /** Send one signed request; resolves with the status and raw text of a 2xx response. */
  async function send(method: string, path: string, body?: unknown, timeoutMs = options.timeoutMs): Promise<{ status: number; text: string; what: string }> {
    const fullPath = prefix + path;
    const payload = body === undefined ? '' : JSON.stringify(body);
    const target = await targetHostId();
    let signedAtMs = clock.now();
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = await signer.sign({ hostId: target, method, path: fullPath, body: payload }, signedAtMs);
      headers.accept = 'application/json';
      if (body !== undefined) headers['content-type'] = 'application/json';
      const { response, text, what } = await exchange(method, fullPath, headers, body === undefined ? undefined : payload, timeoutMs);
      // The agent restarted after our clock's "now" (or leased its replay floor ahead): sign again,
      // once, with the first second it accepts (host-agent/src/state/replay-floor.ts).
      const notBefore = response.status === 401 ? parseRetryAfter(response.headers.get(NOT_BEFORE_HEADER)) : undefined;
      if (notBefore !== undefined && attempt === 1 && notBefore * 1000 > signedAtMs) {
        signedAtMs = notBefore * 1000;
        continue;
      }
      if (!response.ok) throw errorFrom(response, text, what);
      return { status: response.status, text, what };
    }
  }

  async function call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown, timeoutMs?: number): Promise<T> {
    const { status, text, what } = await send(method, path, body, timeoutMs);
    return parseBody(schema, text, what, status);
  }

  function errorFrom(response: Response, text: string, what: string): AgentClientError {
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = errorBodySchema.safeParse(json);
    if (parsed.success) return new AgentClientError(response.status, parsed.data.error.code, `${what}: ${parsed.data.error.message}`, retryAfter);
    const code: AgentClientErrorCode = response.status >= 500 ? 'internal' : 'invalid_response';
    return new AgentClientError(response.status, code, `${what} returned HTTP ${response.status} without the agent's error body: ${text.slice(0, 200)}`, retryAfter);
  }

  return {
    baseUrl: origin + prefix,
    async host() {
      return call('GET', '/v1/host', hostInfoSchema);
    },
    async startRunner(request) {
      return call('POST', '/v1/runners', runnerRecordSchema, request);
    },
    async listRunners() {
      return (await call('GET', '/v1/runners', runnerListSchema)).runners;
    },
    async getRunner(name) {
      try {
        return await call('GET', `/v1/runners/${encodeURIComponent(name)}`, runnerRecordSchema);
      } catch (error: unknown) {
        if (error instanceof AgentClientError && error.status === 404 && error.code === 'not_found') return undefined;
        throw error;
      }
    },
    async cancelRunner(name) {
      try {
        await send('DELETE', `/v1/runners/${encodeURIComponent(name)}`);
        return true;
      } catch (error: unknown) {
        if (error instanceof AgentClientError && error.status === 404 && error.code === 'not_found') return false;
        throw error;
      }
    },
    async drain() {
      return call('POST', '/v1/drain', hostInfoSchema);
    },
    async resume() {
      return call('POST', '/v1/resume', hostInfoSchema);
    },
    async listImages() {
      return call('GET', '/v1/images', imageListSchema);
    },
    async pullImage(request) {
      return call('POST', '/v1/images/pull', pullStatusSchema, request);
    },
    async smokeImage(image, callOptions) {
      return call('POST', '/v1/images/smoke', smokeResultSchema, { image }, callOptions?.timeoutMs ?? Math.max(options.timeoutMs, 15 * 60_000));
    },
    async setPoolImage(pool, image) {
      return call('PUT', `/v1/pools/${encodeURIComponent(pool)}/image`, poolImageSchema, { image });
    },
    async rollbackPool(pool) {
      return call('POST', `/v1/pools/${encodeURIComponent(pool)}/rollback`, poolImageSchema);
    },
    async pruneImages() {
      return call('POST', '/v1/images/prune', pruneResultSchema);
    },
    async setWarmTarget(pool, count, untilMs, source = 'manual') {
      const route = `/v1/pools/${encodeURIComponent(pool)}/warm${source === 'auto' ? '/auto' : ''}`;
      return call('PUT', route, warmStateSchema, { count, ...(untilMs === undefined ? {} : { until: new Date(untilMs).toISOString() }) });
    },
  };
}

function parseBody<T>(schema: z.ZodType<T>, text: string, what: string, status: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentClientError(status, 'invalid_response', `${what} returned a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.join('.') || '(root)';
    throw new AgentClientError(status, 'invalid_response', `${what} returned an unexpected body: ${where}: ${first?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
