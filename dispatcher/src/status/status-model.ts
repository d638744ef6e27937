/**
 * The status view: what `/status/data` answers, the status page draws and `tartfleet-dispatcher
 * status` prints. A zod schema, so the CLI checks what it is given before printing it.
 */
import { z } from 'zod';

export const SLOT_STATES = ['busy', 'booting', 'warm', 'free', 'suspect', 'draining'] as const;
export const slotStateSchema = z.enum(SLOT_STATES);
export type SlotState = z.infer<typeof slotStateSchema>;

const count = z.number().int().nonnegative();
const text = z.string().max(2_000);

export const statusHostSchema = z.object({
  /** The agent's URL as configured. */
  url: text,
  /** The host's id (`GET /v1/host`), absent when it did not answer. */
  id: text.optional(),
  draining: z.boolean(),
  /** Why the host could not be read. */
  error: text.optional(),
  slots: z.object({ total: count, busy: count, booting: count, warm: count, free: count, suspect: count }),
  /** One state per slot, busy first. */
  cells: z.array(slotStateSchema).max(64),
});

export const statusRunnerSchema = z.object({
  host: text,
  name: text,
  pool: text,
  jobId: z.number().int().nullable(),
  stage: text,
  /** Seconds since the runner was requested from its agent. */
  ageSeconds: z.number().nonnegative(),
});

export const statusQueueSchema = z.object({
  pool: text,
  depth: count,
  /** Seconds the oldest queued job has waited since GitHub created it (null: nothing queued). */
  oldestWaitSeconds: z.number().nonnegative().nullable(),
});

export const statusJobSchema = z.object({
  jobId: z.number().int(),
  pool: text,
  runner: text.nullable(),
  host: text.nullable(),
  startedAt: text,
  /** Seconds from the job's creation (or, when that is unknown, its runner's request) to its start. */
  startLatencySeconds: z.number().nullable(),
  latencyFrom: z.enum(['created', 'requested']).nullable(),
});

export const statusImageSchema = z.object({
  pool: text,
  /** Each image the pool runs, with the hosts that run it (more than one: a rollout in progress). */
  images: z.array(z.object({ image: text, hosts: z.array(text).max(1_000) })).max(100),
});

export const statusViewSchema = z.object({
  generatedAt: text,
  totals: z.object({ hosts: count, reachable: count, slots: count, busy: count, booting: count, warm: count, free: count, suspect: count, draining: count }),
  hosts: z.array(statusHostSchema).max(1_000),
  runners: z.array(statusRunnerSchema).max(10_000),
  queue: z.array(statusQueueSchema).max(1_000),
  recentJobs: z.array(statusJobSchema).max(1_000),
  images: z.array(statusImageSchema).max(1_000),
  github: z.object({ registrations: count.nullable(), error: text.optional(), rateLimitRemaining: z.number().nullable() }),
});
export type StatusView = z.infer<typeof statusViewSchema>;
export type StatusHost = z.infer<typeof statusHostSchema>;
