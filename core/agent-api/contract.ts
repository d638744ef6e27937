/**
 * The host agent's HTTP contract (docs/architecture.md, "The agent API"), shared by the agent, the
 * dispatcher and the action. Schemas are zod; the types are inferred from them so the wire format
 * and the code cannot drift.
 */
import { z } from 'zod';
import { LABEL, POOL_NAME, RUNNER_NAME } from '../names';

/** `Retry-After` of a 503 "no free slot": about one VM boot, when a slot is likely free again. */
export const NO_SLOT_RETRY_AFTER_SECONDS = 15;

export const poolNameSchema = z.string().regex(POOL_NAME, 'pool must match ^[a-z0-9][a-z0-9-]{0,30}$');
export const runnerNameSchema = z.string().regex(RUNNER_NAME, 'runner name must look like tf-<pool>-<id> (lowercase letters, digits, dashes)');
export const labelSchema = z.string().regex(LABEL, 'labels are 1-100 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');

/** Lifecycle stages, in order (docs/architecture.md, "Lifecycle"). `failed` carries the stage it failed in. */
export const RUNNER_STAGES = [
  'requested',
  'cloning',
  'booting',
  'ssh-ready',
  'registering',
  'online',
  'running',
  'tearing-down',
  'gone',
  'failed',
] as const;
export const runnerStageSchema = z.enum(RUNNER_STAGES);
export type RunnerStage = z.infer<typeof runnerStageSchema>;

/** Why a runner failed, machine-readable. Bounded set: it is a metric label. */
export const FAILURE_REASONS = [
  'clone-failed',
  'boot-failed',
  'boot-timeout',
  'ip-timeout',
  'ssh-failed',
  'ssh-timeout',
  'register-failed',
  'online-timeout',
  'job-timeout',
  'guest-died',
  'vm-limit',
  'canceled',
  'agent-shutdown',
  'teardown-failed',
  'internal',
] as const;
export const failureReasonSchema = z.enum(FAILURE_REASONS);
export type FailureReason = z.infer<typeof failureReasonSchema>;

export const jobResultSchema = z.enum(['Succeeded', 'Failed', 'Canceled']);
export type JobResult = z.infer<typeof jobResultSchema>;

/** POST /v1/runners body. The JIT config is a credential: it is held in memory only, handed to the
 * guest over SSH stdin and never echoed back in any response, log line or file. */
export const startRunnerRequestSchema = z.strictObject({
  name: runnerNameSchema,
  pool: poolNameSchema,
  labels: z.array(labelSchema).min(1).max(100),
  jitConfig: z.string().min(1).max(65_536).regex(/^[A-Za-z0-9+/=_-]+$/, 'jitConfig must be base64'),
  /** Optional id of the GitHub job that caused this runner (for records and metrics only). */
  jobId: z.number().int().nonnegative().optional(),
}).refine((r) => r.name.startsWith(`tf-${r.pool}-`) && /^[a-z0-9]+$/.test(r.name.slice(`tf-${r.pool}-`.length)), {
  path: ['name'],
  error: (issue) => {
    const r = issue.input as { name?: unknown; pool?: unknown };
    return `runner name must be tf-<pool>-<id> for its pool, i.e. start with 'tf-${String(r.pool)}-', got '${String(r.name)}'`;
  },
});
export type StartRunnerRequest = z.infer<typeof startRunnerRequestSchema>;

export const runnerRecordSchema = z.object({
  name: runnerNameSchema,
  pool: poolNameSchema,
  labels: z.array(z.string()),
  jobId: z.number().int().optional(),
  stage: runnerStageSchema,
  /** ISO-8601 time each stage was entered. */
  timestamps: z.partialRecord(runnerStageSchema, z.string()),
  failure: z
    .object({ stage: runnerStageSchema, reason: failureReasonSchema, message: z.string() })
    .optional(),
  /** The job's result as the runner reported it (`Job X completed with result: …`). */
  jobResult: jobResultSchema.optional(),
  /** The runner never connected, so its GitHub registration is likely left behind: the dispatcher's
   * reconciler deletes it (agents hold no GitHub credentials). */
  registrationLeftBehind: z.boolean().default(false),
  /** True when this record was adopted after an agent restart. */
  adopted: z.boolean().default(false),
  /** The VM serving this runner when it is not named after it: a warm VM (`tf-<pool>-w<hex>`) that was
   * booted before the runner existed and took its JIT config at once (no clone or boot stages), or a
   * spare clone (`tf-<pool>-c<hex>`) cloned and set up ahead of time, stopped (its `cloning` stage is
   * near zero). */
  vm: runnerNameSchema.optional(),
  /** ISO-8601 time the VM was seen stopped during teardown: its slot was free from then on (the
   * delete may still run). The dispatcher's refill latency is measured from here. */
  vmStoppedAt: z.string().optional(),
});
export type RunnerRecord = z.infer<typeof runnerRecordSchema>;

export const slotsSchema = z.object({
  total: z.number().int(),
  busy: z.number().int(),
  warm: z.number().int(),
  free: z.number().int(),
  /** Slots marked suspect after tart reported the VM limit while we believed a slot was free. */
  suspect: z.number().int().default(0),
});

export const hostInfoSchema = z.object({
  id: z.string(),
  version: z.string(),
  tartVersion: z.string().nullable(),
  slots: slotsSchema,
  draining: z.boolean(),
  /** The agent reports each freed slot to the dispatcher (`POST /v1/slots/free`), so jobs waiting
   * for a slot need no fast reconcile passes. Absent from older agents: false. */
  slotCallbacks: z.boolean().default(false),
  pools: z.array(
    z.object({
      name: poolNameSchema,
      image: z.string(),
      labels: z.array(z.string()),
      /** The configured warm baseline (`pools[].warm`). */
      warm: z.number().int(),
      /** Warm VMs this host keeps for the pool now: an override (`PUT /v1/pools/:pool/warm`) or the baseline. */
      warmTarget: z.number().int().default(0),
      /** When the override reverts to the baseline. */
      warmUntil: z.string().optional(),
      /** Warm VMs booted, SSH-ready and unregistered, waiting for a runner. */
      warmReady: z.number().int().default(0),
      /** Warm VMs still cloning or booting. */
      warmBooting: z.number().int().default(0),
      /** A stopped spare clone of the pool's current image is ready: the next cold runner skips
       * `tart clone` and `tart set`. Absent from agents older than spare clones. */
      spare: z.boolean().optional(),
    }),
  ),
  images: z.array(z.string()),
});
export type HostInfo = z.infer<typeof hostInfoSchema>;

/** `GET /healthz` (no auth): liveness, and the hostId clients sign requests for (auth.ts). */
export const healthSchema = z.object({ ok: z.literal(true), hostId: z.string().min(1).max(63).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/) });
export type Health = z.infer<typeof healthSchema>;

export const runnerListSchema = z.object({ runners: z.array(runnerRecordSchema) });

export const ERROR_CODES = [
  'unauthorized',
  /** 403: correctly signed, but with a runner-scope secret on an admin route (scopes.ts). */
  'forbidden',
  'bad_request',
  'not_found',
  'conflict',
  'no_slot',
  'draining',
  'payload_too_large',
  'unknown_pool',
  'internal',
  /** 507: not enough free disk under TART_HOME for the image plus the configured margin. */
  'insufficient_storage',
  /** 409: another image pull is running on this host (pulls run one at a time). */
  'pull_in_progress',
  /** 409: the image is not present on this host (pull it first). */
  'image_not_present',
] as const;
export const errorBodySchema = z.object({
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An image as tart names it: a local VM name or an OCI reference (`host/ns:tag`, `host/ns@sha256:…`).
 * Same alphabet as a pool's configured image: it ends up in tart's argv. */
export const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,254}$/;
export const imageRefSchema = z.string().regex(IMAGE_REF, 'image must be a local VM name or an OCI reference like ghcr.io/org/image:tag or ghcr.io/org/image@sha256:<hex>');

/** PUT /v1/pools/:pool/warm body: warm VMs to keep for the pool on this host, optionally until a time
 * (then the configured baseline applies again). */
export const setWarmTargetRequestSchema = z.strictObject({
  count: z.number({ error: 'count must be a whole number of warm VMs' }).int('count must be a whole number of warm VMs').min(0, 'count must be 0 or more'),
  until: z.iso.datetime({ offset: true, error: 'until must be an ISO-8601 time like 2026-12-01T18:00:00Z' }).optional(),
});
export type SetWarmTargetRequest = z.infer<typeof setWarmTargetRequestSchema>;

/** PUT /v1/pools/:pool/warm/auto body: the dispatcher's automatic target, which only adds above the
 * manual one. It must expire soon (`until` at most AUTO_WARM_MAX_MS ahead): that is what lets it be
 * runner-scoped — a runner secret can keep a few VMs booted for minutes, no more. */
export const setAutoWarmTargetRequestSchema = z.strictObject({
  count: setWarmTargetRequestSchema.shape.count,
  until: z.iso.datetime({ offset: true, error: 'until must be an ISO-8601 time like 2026-12-01T18:00:00Z' }),
});
export const AUTO_WARM_MAX_MS = 10 * 60_000;

/** A pool's warm capacity on one host (answer of PUT /v1/pools/:pool/warm). */
export const warmStateSchema = z.object({
  pool: poolNameSchema,
  baseline: z.number().int(),
  /** What the host keeps: the larger of the manual target (else the baseline) and the auto target. */
  target: z.number().int(),
  /** The dispatcher's automatic sizing, when it set one. */
  auto: z.number().int().optional(),
  until: z.string().optional(),
  ready: z.number().int(),
  booting: z.number().int(),
});
export type WarmState = z.infer<typeof warmStateSchema>;

/** POST /v1/images/pull body. */
export const pullImageRequestSchema = z.strictObject({
  image: imageRefSchema,
  /** Bytes the image needs on disk; when absent the agent estimates it from the largest image present. */
  sizeBytes: z.number().int().nonnegative().max(2 ** 50).optional(),
});
export type PullImageRequest = z.infer<typeof pullImageRequestSchema>;

/** The current or last pull of a host (pulls run one at a time, in the background). */
export const pullStatusSchema = z.object({
  image: z.string(),
  state: z.enum(['pulling', 'done', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** Why it failed (tart's first error line). */
  message: z.string().optional(),
});
export type PullStatus = z.infer<typeof pullStatusSchema>;

/** A pool's image: `current` is what new runners clone; `previous` is kept for rollback. */
export const poolImageSchema = z.object({ pool: poolNameSchema, current: z.string(), previous: z.string().nullable() });
export type PoolImage = z.infer<typeof poolImageSchema>;

/** One image present on a host (`tart list`). */
export const imageEntrySchema = z.object({
  name: z.string(),
  source: z.enum(['local', 'oci']),
  /** Apparent size (tart list `Disk`, whole GB, in bytes). */
  diskBytes: z.number(),
  /** Allocated size (tart list `Size`, whole GB, in bytes). */
  sizeBytes: z.number(),
  accessed: z.string().optional(),
  /** Why the image must stay: `pool <p> current|previous`, `runner <name>`, `smoke`, `pull`. */
  usedBy: z.array(z.string()),
  inUse: z.boolean(),
});
export type ImageEntry = z.infer<typeof imageEntrySchema>;

/** GET /v1/images. */
export const imageListSchema = z.object({
  images: z.array(imageEntrySchema),
  pools: z.array(poolImageSchema),
  pull: pullStatusSchema.nullable(),
  /** Free bytes under TART_HOME. */
  freeBytes: z.number(),
});
export type ImageList = z.infer<typeof imageListSchema>;

/** PUT /v1/pools/:pool/image body. */
export const setPoolImageRequestSchema = z.strictObject({ image: imageRefSchema });

/** POST /v1/images/smoke body and answer. */
export const smokeRequestSchema = z.strictObject({ image: imageRefSchema });
/** What packer/scripts/write-metadata.sh records in `~/.tartfleet/image.json` (every field optional:
 * images built by older templates, or by hand, carry less). */
export const imageMetadataSchema = z.object({
  schema: z.number().optional(),
  runnerVersion: z.string().optional(),
  xcodeVersion: z.string().optional(),
  macosVersion: z.string().optional(),
  buildDate: z.string().optional(),
  sshHostKeyFingerprint: z.string().optional(),
  templateCommit: z.string().optional(),
});
export type ImageMetadata = z.infer<typeof imageMetadataSchema>;
export const smokeResultSchema = z.object({
  image: z.string(),
  ok: z.boolean(),
  output: z.string(),
  seconds: z.number(),
  /** The image's own metadata, read in the smoke VM. */
  metadata: imageMetadataSchema.optional(),
  /** The SSH host key the smoke VM presented (`SHA256:…`). */
  hostKeyFingerprint: z.string().optional(),
});
export type SmokeResult = z.infer<typeof smokeResultSchema>;

/** POST /v1/images/prune answer. */
export const pruneResultSchema = z.object({ removed: z.array(z.string()), freeBytes: z.number() });
export type PruneResult = z.infer<typeof pruneResultSchema>;
