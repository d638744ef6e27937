import type { FailureReason, RunnerRecord, RunnerStage } from '../../../core/agent-api/contract';
import type { Clock } from '../../../core/clock';
import type { Logger } from '../../../core/logger';
import type { AgentConfig, PoolConfig } from '../config/schema';
import type { PoolImageResolver } from '../images/pool-image-store';
import type { Journal } from '../journal/journal';
import type { LifecycleObserver } from '../service';
import type { RemoteSession, RemoteShell } from '../ssh/remote-shell';
import type { TartCli, TartRunExit, TartRunHandle } from '../tart/tart-cli';
import type { DeleteQueue } from '../vm/delete-queue';
import type { VmDeps } from '../vm/vm-session';
import type { SlotBook } from './slots';
import type { SpareClones } from '../spare/spare-clones';
import type { WarmPool } from '../warm/warm-pool';

/** Tunables that are not operator settings (tests shorten them). */
export interface LifecycleTiming {
  /** `tart stop --timeout`: the guest needs no clean shutdown, it is deleted next. */
  stopTimeoutSeconds: number;
  /** How often an adopted VM is checked with `tart get`. */
  adoptPollMs: number;
  /** After the bootstrap session ends, how long to wait for the guest to power itself off. */
  poweroffGraceMs: number;
  /** How long a slot stays suspect after tart reported the VM limit. */
  suspectTtlMs: number;
  /** Finished records kept (memory and journal) for the API and the dispatcher's reconciler. */
  finishedRetentionMs: number;
}

export const DEFAULT_TIMING: LifecycleTiming = {
  stopTimeoutSeconds: 5,
  adoptPollMs: 1_000,
  poweroffGraceMs: 15_000,
  suspectTtlMs: 10 * 60_000,
  finishedRetentionMs: 3_600_000,
};

/** Everything `createRunnerService` needs; the entrypoint builds the real ones. */
export interface RunnerServiceDeps {
  config: AgentConfig;
  tart: TartCli;
  shell: RemoteShell;
  journal: Journal;
  observer: LifecycleObserver;
  logger: Logger;
  /** The agent's version, for `GET /v1/host`. */
  version: string;
  clock?: Clock;
  /** SSH private key text when `config.ssh.privateKeyFile` is set (the entrypoint reads the file). */
  sshPrivateKey?: string;
  /** The command that starts the bootstrap in the guest (the image installs it there). */
  bootstrapCommand?: string;
  timing?: Partial<LifecycleTiming>;
  /** Which image a pool's runners clone (rollout switches it); the pool's configured image without it. */
  poolImages?: PoolImageResolver;
  /** A slot became free (a VM stopped) and warm capacity has taken what it wanted; not called while
   * draining. The dispatcher callback listens here (slot-callback/). Must be cheap and never throw. */
  slotFreed?: () => void;
}

/** One runner the agent knows of: its public record plus what only the lifecycle holds. The JIT
 * config is not here: it is an argument of the one task that hands it to the guest. */
export interface RunnerState {
  record: RunnerRecord;
  pool: PoolConfig | undefined;
  controller: AbortController;
  /** Set while a task (drive, adopt-watch or teardown) owns this runner. */
  task: Promise<void> | undefined;
  run: TartRunHandle | undefined;
  /** How our `tart run` ended, once it has. */
  vmExit: TartRunExit | undefined;
  /** PID of the `tart run` from a previous agent life (journal), for a last-resort kill. */
  runPid: number | undefined;
  session: RemoteSession | undefined;
  ip: string | undefined;
  log: Logger;
  stageSince: number;
  /** Teardown ran and failed; the VM still exists, the reconciler retries. */
  teardownFailed: boolean;
  /** The VM no longer runs (its `tart run` exited, teardown confirmed the stop, or `tart list` showed
   * it stopped): it holds no slot, also while its delete is pending or failed. VMs never restart. */
  vmStopped: boolean;
  /** The free slot was announced (warm refill, dispatcher callback): once per runner. */
  slotAnnounced: boolean;
  finishedAt: number | undefined;
  /** False for orphans the reconciler reaps: they never were a job of this agent's. */
  countsAsJob: boolean;
}

/** The VM a runner lives in: its own name, or the warm VM or spare clone it took over. */
export const vmNameOf = (r: RunnerState): string => r.record.vm ?? r.record.name;

/** The shared state and helpers the lifecycle modules work on. */
export interface LifecycleContext {
  deps: RunnerServiceDeps;
  config: AgentConfig;
  clock: Clock;
  timing: LifecycleTiming;
  log: Logger;
  /** What VM sessions run on (clone, boot, SSH, teardown). */
  vm: VmDeps;
  runners: Map<string, RunnerState>;
  slots: SlotBook;
  /** Warm capacity (set right after the context is built: it works on the context). */
  warm: WarmPool;
  /** Stopped spare clones cold runners take instead of cloning (set right after, like `warm`). */
  spares: SpareClones;
  /** Deletes of stopped VMs (runners' and warm), bounded. */
  deletes: DeleteQueue;
  /** A VM stopped: warm capacity refills, then `deps.slotFreed` (unless draining). */
  slotFreed(): void;
  /** Moves a runner to `stage`, timestamps it, persists and reports it. */
  enter(r: RunnerState, stage: RunnerStage): void;
  /** Records the first failure of a runner and enters `failed`. Later failures are only logged. */
  fail(r: RunnerState, stage: RunnerStage, reason: FailureReason, message: string): void;
  /** Writes the runner's journal entry. */
  persist(r: RunnerState): void;
  /** Reports counts to the observer. */
  countsChanged(): void;
  logFileOf(name: string): string;
}
