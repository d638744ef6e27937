/**
 * The agent's configuration, as one zod schema: the loader (file + environment overrides) validates
 * against it and every module receives the frozen, typed result. Durations are milliseconds.
 */
import { z } from 'zod';
import { poolNameSchema, labelSchema } from '../../../core/agent-api/contract';
import { cacheConfigSchema } from '../cache/cache-config-schema';
import { hostDirsSchema } from '../cache/host-dirs';
import { imagesConfigSchema } from '../images/images-config-schema';
import { warmConfigSchema } from '../warm/warm-config-schema';
import { dispatcherConfigSchema } from '../slot-callback/dispatcher-config-schema';
import { DEFAULT_VM_NETWORK, vmNetworkSchema } from '../tart/vm-network';
import { BRIDGE_INTERFACE_PATTERN, DEFAULT_BRIDGE_INTERFACE } from '../net/pf-anchor';

/** Apple's macOS licence allows two macOS guests per host and Virtualization.framework enforces it
 * (docs/reference/tart-cli.md §4): a third `tart run` fails. So macOS capacity can be configured lower, never higher. */
export const MACOS_VM_LIMIT = 2;

const SPARE_CLONES_RULE = 'spareClones must be a whole number from 0 (no spare clone) to 64, and at most the host\'s maxVms (stopped clones of the pool image kept ready)';

export const poolConfigSchema = z.strictObject({
  name: poolNameSchema,
  /** Local VM name or OCI reference to `tart clone` from. */
  image: z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, 'image must be a local VM name or an OCI reference like ghcr.io/org/image:tag'),
  os: z.enum(['darwin', 'linux']).default('darwin'),
  cpu: z.number().int().min(1).max(64).optional(),
  memoryMb: z.number().int().min(1024).max(1_048_576).optional(),
  labels: z.array(labelSchema).min(1),
  /** Warm VMs kept booted, SSH-ready and unregistered for this pool (the baseline; the API can
   * override it for a while). They hold slots like any VM. */
  warm: z.number().int().min(0).max(64).default(0),
  /** Stopped VMs kept already cloned from the pool's current image (0 to maxVms, default 0): a cold
   * runner takes one instead of cloning and the agent clones the next while the job runs. A stopped
   * VM holds no slot. As many as the host's slots when a burst frees them all at once. */
  spareClones: z
    .number({ error: SPARE_CLONES_RULE })
    .int(SPARE_CLONES_RULE)
    .min(0, SPARE_CLONES_RULE)
    .max(64, SPARE_CLONES_RULE)
    // Off unless asked for: each spare is one more `tart clone` and `tart set` while jobs run, work
    // that competes with the jobs on a busy host.
    .default(0),
  /** Host folders shared into the pool's VMs (`tart run --dir`), read-only unless marked writable. */
  dirs: hostDirsSchema,
  /** The VMs' networking: Softnet isolation unless the operator opts out (docs/security.md). */
  network: vmNetworkSchema.default(DEFAULT_VM_NETWORK),
});
export type PoolConfig = z.infer<typeof poolConfigSchema>;

/** OpenSSH's `SHA256:<base64>` (ssh-keygen -lf), as the image metadata records it. */
const fingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'host key fingerprints look like SHA256: followed by 43 base64 characters (ssh-keygen -lf)');

export const deadlinesSchema = z.strictObject({
  cloneMs: z.number().int().positive().default(120_000),
  /** `tart run` started → guest has an IP. */
  bootMs: z.number().int().positive().default(120_000),
  /** IP known → SSH session established. */
  sshMs: z.number().int().positive().default(60_000),
  /** Bootstrap started → runner prints `Listening for Jobs`. */
  onlineMs: z.number().int().positive().default(120_000),
  /** Runner online → job finished (idle wait plus the job itself). */
  jobMs: z.number().int().positive().default(6 * 3600_000),
  teardownMs: z.number().int().positive().default(60_000),
});

export const agentConfigSchema = z.strictObject({
  hostId: z.string().min(1).max(63).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8420),
      /** Serve HTTPS: the JIT config must not cross a network in clear text (docs/architecture.md, "The agent API"). */
      tls: z.strictObject({ certFile: z.string(), keyFile: z.string() }).optional(),
    })
    .prefault({}),
  /** Runner-scope HMAC secrets: the first signs, any verifies (a second one allows rotation). From env only. */
  secrets: z.array(z.string().min(32, 'agent secrets must be at least 32 characters')).min(1).max(2),
  /** Admin-scope HMAC secrets (images, pools, drain, resume), same rules; none: those routes refuse
   * every request. From env only. */
  adminSecrets: z.array(z.string().min(32, 'agent admin secrets must be at least 32 characters')).max(2).default([]),
  tart: z.strictObject({ bin: z.string().default('tart'), home: z.string().optional() }).prefault({}),
  /** Where the journal lives. */
  stateDir: z.string().min(1),
  /** Concurrent VMs on this host; at most 2 when any pool is macOS. */
  maxVms: z.number().int().min(1).max(64).default(MACOS_VM_LIMIT),
  pools: z.array(poolConfigSchema).min(1),
  ssh: z
    .strictObject({
      user: z.string().default('admin'),
      password: z.string().optional(),
      privateKeyFile: z.string().optional(),
      port: z.number().int().min(1).max(65535).default(22),
      /** `pinned` (the default): the guest's host key must be one of `hostKeyFingerprint`, checked on
       * every connection; `accept-new`: trust any key, with a warning each time (development only). */
      hostKeyPolicy: z.enum(['pinned', 'accept-new']).default('pinned'),
      /** The images' host key fingerprints (`sshHostKeyFingerprint` of their metadata); several while a rollout changes image. */
      hostKeyFingerprint: z.union([fingerprintSchema, z.array(fingerprintSchema).min(1).max(16)]).optional(),
    })
    .prefault({}),
  deadlines: deadlinesSchema.prefault({}),
  reconcileIntervalMs: z.number().int().positive().default(30_000),
  drainTimeoutMs: z.number().int().positive().default(3600_000),
  /** Extra variables for the runner's `.env` (e.g. the cache mirror settings). */
  runnerEnv: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  /** The host's pull-through mirror (nginx); its settings reach every runner's environment. */
  cache: cacheConfigSchema.optional(),
  /** The pf anchor `init` writes and `doctor` checks: Softnet pools' guests reach only DNS, DHCP and
   * the mirror on this host (docs/security.md). */
  hostFirewall: z
    .strictObject({
      /** The vmnet bridge the VMs sit behind (`ifconfig` shows it with 192.168.64.1 while a VM runs). */
      bridgeInterface: z.string().regex(BRIDGE_INTERFACE_PATTERN, 'bridgeInterface must be an interface name like bridge100').default(DEFAULT_BRIDGE_INTERFACE),
    })
    .prefault({}),
  /** Image pulls, pool image switches, pruning and smoke tests (rollout). */
  images: imagesConfigSchema.prefault({}),
  /** Warm capacity: idle age, liveness probe, refill back-off. */
  warm: warmConfigSchema.prefault({}),
  /** Where to report a freed slot (`POST <url>/v1/slots/free`); none: the dispatcher's reconcile pass finds it. */
  dispatcher: dispatcherConfigSchema.optional(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;
