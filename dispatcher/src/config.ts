/**
 * The dispatcher's configuration as one zod schema. `parseConfig` reports every problem at once
 * (`pools.0.hosts.1.url: …; github.auth: …`) and returns a frozen result that is passed down;
 * nothing else reads the environment. A secret may be written inline or as `env:NAME`, so config
 * files can stay free of credentials.
 */
import { z } from 'zod';
import { labelSchema, poolNameSchema } from '../../core/agent-api/contract';
import { redact } from '../../core/logger';
import { DispatcherError } from './errors';

const envRef = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/** A string that may be `env:NAME`; resolution happens in `parseConfig` before validation. */
const secretString = (what: string, min = 1) => z.string().min(min, `${what} must be at least ${min} characters`);

const repoFullName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'repository must look like owner/name');

export const hostConfigSchema = z.strictObject({
  /** Agent base URL, e.g. `https://mac-mini-1.example:8420`. */
  url: z.url({ protocol: /^https?$/, error: 'host url must be an absolute http(s) URL like https://mac-mini-1:8420' }),
  /** The agent's HMAC secret (first of its secrets). */
  secret: secretString('host secret', 32),
  /** Allow plain http to a non-loopback agent (a TLS-terminating tunnel on the path). */
  allowInsecure: z.boolean().default(false),
});

export const poolSchema = z.strictObject({
  name: poolNameSchema,
  /** Labels runners of this pool carry. `self-hosted` is always added: GitHub jobs ask for it. */
  labels: z.array(labelSchema).min(1),
  /** Image the agents clone for this pool (informational here; agents own the pool definition). */
  image: z.string().min(1),
  hosts: z.array(hostConfigSchema).min(1, 'a pool needs at least one host'),
  /** Warm capacity sizing: `fixed` leaves each host's target to its config and to operators
   * (`mode: scale`); `auto` adds warm VMs above that floor from the pool's recent demand. */
  warm: z
    .strictObject({
      mode: z.enum(['fixed', 'auto']).default('fixed'),
      /** Per host, the least the automatic target asks for. */
      min: z.number().int().min(0).max(64).default(0),
      /** Per host, the most the automatic target asks for. */
      max: z.number().int().min(0).max(64).default(2),
    })
    .refine((w) => w.min <= w.max, { error: 'warm.min must not be above warm.max' })
    .prefault({}),
});

const tokenAuth = z.strictObject({ token: secretString('github token') });
const appAuth = z.strictObject({
  appId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]),
  privateKey: secretString('github app private key'),
  installationId: z.number().int().positive(),
});

export const configSchema = z
  .strictObject({
    github: z.strictObject({
      /** `https://api.github.com`, `https://ghes.example/api/v3`, or a test server. */
      apiUrl: z.url().default('https://api.github.com'),
      auth: z.union([tokenAuth, appAuth], { error: 'github.auth must be {token} or {appId, privateKey, installationId}' }),
      /** Register runners at the organisation level ... */
      org: z.string().min(1).optional(),
      /** ... or for one repository (`owner/name`). */
      repo: repoFullName.optional(),
      /** Repositories whose queued jobs the reconciler looks at. Defaults to `repo`; for an org with
       * App auth, every repository of the installation. */
      repos: z.array(repoFullName).optional(),
      /** Runner group name for org runners; resolved to an id once. */
      runnerGroup: z.string().min(1).default('Default'),
      /** generate-jitconfig is a POST worth 5 points of GitHub's 900/min per-endpoint budget
       * (docs/reference/github-api.md §4): 180/min at most, so we stay below it. */
      writesPerMinute: z.number().int().min(1).max(600).default(150),
      /** Share of the remaining hourly rate limit that reads (lists) may take; minting and deleting
       * are never held back by it. */
      readShare: z.number().gt(0).max(1).default(0.5),
      /** Per GitHub request. */
      requestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    }),
    /** Absent: poll-only mode (no POST /webhook). */
    webhook: z
      .strictObject({
        secrets: z.array(secretString('webhook secret')).min(1).max(2),
        /** Deliveries larger than this are refused while they are read (GitHub's own cap is 25 MB;
         * a workflow_job payload is ~10 KB). */
        maxBodyBytes: z.number().int().min(64 * 1024).max(25 * 1024 * 1024).default(1024 * 1024),
      })
      .optional(),
    /** Bearer token for GET /v1/fleet; the route answers 404 without it. */
    fleetToken: secretString('fleet token', 16).optional(),
    pools: z.array(poolSchema).min(1, 'at least one pool is required'),
    reconcile: z
      .strictObject({
        intervalMs: z.number().int().min(100).default(30_000),
        /** Sooner next pass while jobs wait for a free slot. */
        busyIntervalMs: z.number().int().min(100).default(2_000),
        /** While webhooks arrive they start the runners, and a pass is only the safety net: the
         * regular interval stretches to this. When they stop, `intervalMs` applies again. */
        webhookIntervalMs: z.number().int().min(100).default(180_000),
        /** An offline registration of ours with no VM behind it is deleted after this long. */
        offlineGraceMs: z.number().int().min(0).default(120_000),
        /** A registration whose host has not answered for this long no longer counts as supply. */
        hostGraceMs: z.number().int().min(0).default(60_000),
        /** An online idle runner of ours beyond the queued demand is removed after this long. */
        idleGraceMs: z.number().int().min(0).default(60_000),
      })
      .prefault({}),
    placement: z
      .strictObject({
        /** Per GET /v1/host and POST /v1/runners. */
        timeoutMs: z.number().int().min(50).default(1_000),
        /** How long a host's slot count is trusted. */
        cacheMs: z.number().int().min(0).default(1_000),
      })
      .prefault({}),
    /** Pending demand: queued jobs that found no free slot, started when an agent reports free slots
     * (POST /v1/slots/free). The reconcile pass remains the safety net for anything it drops. */
    demand: z
      .strictObject({
        /** Beyond this the oldest entries are dropped (and counted). */
        maxEntries: z.number().int().min(1).max(1_000_000).default(10_000),
        /** Node only: the SQLite file that keeps it across restarts. Default: pending-demand.sqlite
         * in the state directory ($STATE_DIRECTORY under systemd, else ~/.local/state/tartfleet-dispatcher). */
        sqlitePath: z
          .string()
          .max(1024, 'demand.sqlitePath must be at most 1024 characters')
          .regex(/^\/[^\0]*[^/\0]$/, 'demand.sqlitePath must be an absolute file path like /var/lib/tartfleet-dispatcher/pending-demand.sqlite')
          .optional(),
      })
      .prefault({}),
    /** Check with GitHub that a job is still queued before starting a runner for its webhook. */
    verifyJobStatus: z.boolean().default(true),
    listen: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8430) }).prefault({}),
  })
  .superRefine((c, ctx) => {
    if ((c.github.org === undefined) === (c.github.repo === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['github'], message: `exactly one of github.org or github.repo is required, got ${c.github.org === undefined ? 'neither' : 'both'}` });
    }
    if (c.github.org !== undefined && c.github.repos === undefined && 'token' in c.github.auth) {
      ctx.addIssue({ code: 'custom', path: ['github', 'repos'], message: 'github.repos is required for an org with token auth (App auth lists the installation repositories)' });
    }
    const seen = new Set<string>();
    for (const [i, p] of c.pools.entries()) {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['pools', i, 'name'], message: `pool name '${p.name}' is used twice` });
      seen.add(p.name);
    }
  });

export type DispatcherConfig = Readonly<z.infer<typeof configSchema>>;
export type PoolConfig = z.infer<typeof poolSchema>;
export type HostConfig = z.infer<typeof hostConfigSchema>;

/** Replace every `env:NAME` string with the variable's value; missing variables are collected. */
function resolveEnvRefs(value: unknown, env: Record<string, string | undefined>, path: string, missing: string[]): unknown {
  if (typeof value === 'string') {
    const m = envRef.exec(value);
    if (!m) return value;
    const name = m[1] as string;
    const v = env[name];
    if (v === undefined || v === '') missing.push(`${path}: environment variable ${name} is not set`);
    return v ?? '';
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, `${path}.${i}`, missing));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnvRefs(v, env, path ? `${path}.${k}` : k, missing)]));
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validate a parsed config document; throws one DispatcherError('config') naming every problem. */
export function parseConfig(raw: unknown, env: Record<string, string | undefined> = {}): DispatcherConfig {
  const missing: string[] = [];
  const resolved = resolveEnvRefs(raw, env, '', missing);
  const result = configSchema.safeParse(resolved);
  const problems = [...missing];
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  if (problems.length > 0 || !result.success) {
    throw new DispatcherError('config', `invalid dispatcher config: ${problems.join('; ')}`);
  }
  return deepFreeze(result.data);
}

/** The config with secrets replaced, safe to log (the one redaction policy, core/logger.ts). */
export function redactConfig(config: DispatcherConfig): unknown {
  return redact(config);
}
