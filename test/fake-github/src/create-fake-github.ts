import { createPublicKey, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { identify, type Identity } from './auth';
import type { FakeContext, ResolvedOptions } from './context';
import { createFaults, type Faults } from './faults';
import { githubError } from './github-error';
import { createJobEngine, type JobAction } from './job-engine';
import { createRateLimiter, type PrimaryLimitConfig, type RateLimiter, type SecondaryLimitConfig } from './rate-limiter';
import { actionsRunRoutes } from './routes/actions-runs';
import { appRoutes } from './routes/apps';
import { controlRoutes } from './routes/control';
import { runnerProtocolRoutes } from './routes/runner-protocol';
import { runnerRoutes } from './routes/runners';
import { createRunnerSessions } from './runner-sessions';
import { addOrg, addRepo, addRunnerGroup, createState, type Clock, type FakeState } from './state';
import { restoreState, snapshotState, type StateSnapshot } from './state-file';
import type { HookRecord, JobRecord, RunRecord, RunSpec, RunnerGroupRecord, RunnerRecord } from './types';
import { createWebhookSender, type WebhookSender } from './webhook-sender';

/** How to build a fake; every field is optional (bare: org `acme`, repo `acme/app`, token `test-token`). */
export interface FakeGitHubOptions extends Partial<ResolvedOptions> {
  clock?: Clock;
  /** Orgs to create (each gets group 1-style `Default` and a hosted group). Default `['acme']`. */
  orgs?: string[];
  /** Repos `owner/name`. Default `['acme/app']`. */
  repos?: string[];
  /** Classic PATs accepted (org admin everywhere). Default `['test-token']`. */
  tokens?: string[];
  /** GitHub Apps: id, public or private key PEM (the public half is derived), installations. */
  apps?: AppSeed[];
  primaryRateLimit?: Partial<PrimaryLimitConfig>;
  secondaryRateLimit?: Partial<SecondaryLimitConfig>;
}

/** A GitHub App to seed. */
export interface AppSeed {
  id: number;
  /** PEM; a private key is accepted (its public half is used). */
  key: string;
  slug?: string;
  clientId?: string;
  installations?: Array<{ id?: number; account: string; permissions?: Record<string, string> }>;
}

/** Where a webhook is configured. */
export interface WebhookSeed {
  url: string;
  secret?: string;
  /** Exactly one of org, repo, appId. */
  org?: string;
  repo?: string;
  appId?: number;
  events?: string[];
}

/** Read-only view of a job for tests (epoch ms timestamps). */
export type JobView = Readonly<JobRecord>;

/** The fake plus its test control API. */
export interface FakeGitHub {
  /** The Hono app (use `app.request()` or serve it). */
  app: Hono;
  state: FakeState;
  webhooks: WebhookSender;
  faults: Faults;
  rateLimits: RateLimiter;
  /** REST requests answered so far (304s included), keyed `METHOD /path/{id} STATUS` with owner,
   * repo and org names kept; `clear()` starts a new count. */
  requests: Map<string, number>;
  enqueueRun(spec: RunSpec): { runId: number; jobIds: number[] };
  cancelRun(runId: number): void;
  cancelJob(jobId: number): void;
  approveJob(jobId: number): void;
  job(jobId: number): JobView | undefined;
  jobs(): JobView[];
  run(runId: number): Readonly<RunRecord> | undefined;
  runners(): Array<Readonly<RunnerRecord>>;
  addOrg(org: string): void;
  addRepo(fullName: string): void;
  addRunnerGroup(org: string, name: string): RunnerGroupRecord;
  /** Accepts a classic PAT; `orgs` limits what its user administers (others → 404). */
  addToken(token: string, login?: string, orgs?: string[]): void;
  addApp(seed: AppSeed): void;
  addWebhook(seed: WebhookSeed): number;
  /** The durable state (for `--state FILE`): no secrets, no sessions. */
  snapshot(): StateSnapshot;
  /** Loads a snapshot taken by `snapshot()` into this (fresh) fake. */
  restore(snapshot: StateSnapshot): void;
  /** Sets the URL clients reach the fake on (JIT configs, links, webhook payloads). */
  setPublicUrl(url: string): void;
  close(): void;
}

const DEFAULT_INSTALLATION_PERMISSIONS = { organization_self_hosted_runners: 'write', administration: 'write', actions: 'read', metadata: 'read', organization_hooks: 'read' };

/** Builds a fake GitHub: state, job engine, runner protocol, webhooks, REST routes and control API. */
export function createFakeGitHub(options: FakeGitHubOptions = {}): FakeGitHub {
  const clock = options.clock ?? { now: () => Date.now() };
  const state = createState(clock);
  const resolved: ResolvedOptions = {
    publicUrl: options.publicUrl,
    jobLostTimeoutMs: options.jobLostTimeoutMs ?? 10_000,
    runnerOfflineAfterMs: options.runnerOfflineAfterMs ?? 10_000,
    pollTimeoutMs: options.pollTimeoutMs ?? 20_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    jitKeyBits: options.jitKeyBits ?? 2048,
    labelsMode: options.labelsMode ?? 'as-sent',
  };
  let publicUrl = resolved.publicUrl;
  const baseUrl = (): string => publicUrl ?? 'http://127.0.0.1';

  const webhooks = createWebhookSender({ state, timeoutMs: resolved.webhookTimeoutMs, baseUrl });
  const engine = createJobEngine({ state, jobLostTimeoutMs: resolved.jobLostTimeoutMs, onJobEvent: (a: JobAction, j: JobRecord) => webhooks.onJobEvent(a, j) });
  const sessions = createRunnerSessions(state);
  const limiter = createRateLimiter(clock, options.primaryRateLimit, options.secondaryRateLimit);
  const faults = createFaults();
  const requests = new Map<string, number>();
  const ctx: FakeContext = {
    state, engine, sessions, webhooks, limiter, faults, requests, options: resolved,
    publicUrl: (c) => publicUrl ?? new URL(c.req.url).origin,
  };

  const fake: FakeGitHub = {
    app: new Hono(),
    state, webhooks, faults, rateLimits: limiter, requests,
    enqueueRun(spec) {
      const run = engine.enqueueRun(spec);
      return { runId: run.id, jobIds: [...run.jobIds] };
    },
    cancelRun: (id) => engine.cancelRun(id),
    cancelJob: (id) => engine.cancelJob(id),
    approveJob: (id) => engine.approve(id),
    job: (id) => { const j = state.jobs.get(id); return j ? { ...j, labels: [...j.labels] } : undefined; },
    jobs: () => [...state.jobs.values()].map((j) => ({ ...j, labels: [...j.labels] })),
    run: (id) => { const r = state.runs.get(id); return r ? { ...r, jobIds: [...r.jobIds] } : undefined; },
    runners: () => [...state.runners.values()].map((r) => ({ ...r, labels: [...r.labels] })),
    addOrg: (org) => addOrg(state, org),
    addRepo: (full) => addRepo(state, full),
    addRunnerGroup: (org, name) => addRunnerGroup(state, org, name),
    addToken(token, login = 'octocat', orgs) {
      state.tokens.set(token, { token, kind: 'pat', login, ...(orgs ? { orgs } : {}) });
    },
    addApp(seed) {
      const publicKeyPem = createPublicKey(seed.key).export({ format: 'pem', type: 'spki' }).toString();
      state.apps.set(seed.id, { id: seed.id, slug: seed.slug ?? `app-${seed.id}`, clientId: seed.clientId ?? `Iv23li${randomBytes(7).toString('hex')}`, publicKeyPem });
      for (const inst of seed.installations ?? []) {
        addOrg(state, inst.account);
        const id = inst.id ?? state.nextId();
        state.installations.set(id, { id, appId: seed.id, account: inst.account, permissions: inst.permissions ?? { ...DEFAULT_INSTALLATION_PERMISSIONS } });
      }
    },
    addWebhook(seed) {
      const targets = [seed.org, seed.repo, seed.appId].filter((x) => x !== undefined);
      if (targets.length !== 1) throw new Error(`addWebhook: exactly one of org, repo, appId is required, got ${targets.length}`);
      const hook: HookRecord = {
        id: state.nextId(), url: seed.url, secret: seed.secret, events: seed.events ?? ['workflow_job'],
        targetType: seed.org !== undefined ? 'organization' : seed.repo !== undefined ? 'repository' : 'integration',
        target: seed.org ?? seed.repo ?? `app:${seed.appId}`,
        ...(seed.appId === undefined ? {} : { appId: seed.appId }),
      };
      state.hooks.set(hook.id, hook);
      return hook.id;
    },
    snapshot: () => snapshotState(state),
    restore(snapshot) {
      engine.resume(restoreState(state, snapshot));
    },
    setPublicUrl(url) {
      publicUrl = url.replace(/\/+$/, '');
    },
    close() {
      engine.close();
      webhooks.close();
    },
  };

  for (const org of options.orgs ?? ['acme']) addOrg(state, org);
  for (const repo of options.repos ?? ['acme/app']) addRepo(state, repo);
  for (const token of options.tokens ?? ['test-token']) fake.addToken(token);
  for (const a of options.apps ?? []) fake.addApp(a);

  fake.app = buildApp(ctx, fake);
  return fake;
}

type Env = { Variables: { identity: Identity } };

const SUPPORTED_API_VERSIONS = new Set(['2022-11-28', '2026-03-10']);

const COMMON_HEADERS = { 'x-github-media-type': 'github.v3; format=json', 'x-github-api-version-selected': '2022-11-28' };

/** GitHub's request id shape, e.g. `E4B0:3A27:8C1E55:11A4F4C:656A2B1E`. */
function requestId(): string {
  const h = randomBytes(15).toString('hex').toUpperCase();
  return `${h.slice(0, 4)}:${h.slice(4, 8)}:${h.slice(8, 14)}:${h.slice(14, 22)}:${h.slice(22, 30)}`;
}

function buildApp(ctx: FakeContext, fake: FakeGitHub): Hono {
  const app = new Hono();
  app.route('/_runner', runnerProtocolRoutes(ctx));
  app.route('/_control', controlRoutes(ctx, fake));

  const rest = new Hono<Env>();
  rest.use('*', async (c, next) => {
    await next();
    const key = `${c.req.method} ${c.req.path.replace(/\/\d+(?=\/|$)/g, '/{id}')} ${c.res.status}`;
    ctx.requests.set(key, (ctx.requests.get(key) ?? 0) + 1);
  });
  rest.use('*', async (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    // Headers set on the context before a response exists are merged into it by Hono: cheaper than
    // rewriting the finished Response, and they reach error responses built on the way too.
    const set = (headers: Record<string, string>): void => {
      for (const [k, v] of Object.entries(headers)) c.header(k, v);
    };
    const id = requestId();
    set(COMMON_HEADERS);
    c.header('x-github-request-id', id);
    // Refused before we know who is asking: still send rate-limit headers (the unauthenticated budget's).
    set(ctx.limiter.headers(`ip:${c.req.header('x-forwarded-for') ?? 'local'}`));
    const version = c.req.header('x-github-api-version');
    if (version !== undefined && !SUPPORTED_API_VERSIONS.has(version)) {
      return githubError(c, 400, `API version ${version} is not supported.`, '/about-the-rest-api/api-versions');
    }
    const who = identify(c, ctx.state);
    if (who instanceof Response) return who;
    c.set('identity', who);
    const subject = who.kind === 'installation' ? `installation ID ${who.installationId}` : who.kind === 'pat' ? `user ID ${who.token.login}` : who.kind === 'app' ? `app ID ${who.app.id}` : 'your IP address';
    // Secondary limits count per endpoint: ids in the path do not make a new endpoint.
    const endpoint = `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
    const decision = ctx.limiter.check(who.key, subject, method, path, endpoint, id, path !== '/rate_limit');
    set(decision.headers);
    try {
      if (decision.hit) {
        set({ ...decision.hit.headers, ...(decision.hit.message.startsWith('API rate limit') ? { 'x-ratelimit-remaining': '0' } : {}) });
        return githubError(c, decision.hit.status, decision.hit.message, '/overview/rate-limits-for-the-rest-api');
      }
      const fault = ctx.faults.take(method, path);
      if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
      const serverError = (status: 500 | 502 | 503 | 504): Response => githubError(c, status, status === 503 ? 'Service Unavailable' : 'Server Error');
      if (fault?.status && !fault.afterCommit) return serverError(fault.status);
      await next();
      if (fault?.status && fault.afterCommit) c.res = serverError(fault.status);
      if (c.res.status === 304) {
        // GitHub: a 304 to a correctly authorized conditional request does not count against the primary limit.
        ctx.limiter.refund(who.key);
        set(ctx.limiter.headers(who.key));
      }
    } finally {
      decision.release();
    }
  });
  rest.route('/', runnerRoutes(ctx));
  rest.route('/', actionsRunRoutes(ctx));
  rest.route('/', appRoutes(ctx));
  rest.notFound((c) => githubError(c, 404, 'Not Found'));
  app.route('/', rest);
  app.notFound((c) => githubError(c, 404, 'Not Found'));
  app.onError((error, c) => githubError(c, 500, `Server Error: ${error.message}`));
  return app;
}
