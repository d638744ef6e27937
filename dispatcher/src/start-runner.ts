/**
 * Start one runner — the one use case behind the webhook path, the reconciler and the action's
 * `start` mode: hold a slot on a host first, mint a JIT config, place it on the held host (or the
 * next best), and delete the registration again when no host took it. Minting before a slot is held
 * would only create registrations to delete again.
 */
import type { Clock } from '../../core/clock';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { jobRunnerName } from '../../core/names';
import type { PoolConfig } from './config';
import { DispatcherError } from './errors';
import type { GitHubApi } from './github/github-api';
import type { DispatcherMetrics } from './metrics-port';
import type { Placer } from './placement';
import { runnerLabels } from './pool-match';

export type StartOutcome =
  /** A host accepted the runner. */
  | 'started'
  /** GitHub (409) or the agent already has this name: someone handled this job+attempt. */
  | 'duplicate'
  /** No host had a free slot; nothing is left registered. */
  | 'no_capacity'
  /** A host may or may not have taken it (timeout); the registration stays for the reconciler. */
  | 'uncertain'
  /** GitHub refused or kept failing; nothing is left registered that we know of. */
  | 'failed'
  /** The caller's `stillWanted` said no once a slot was held (the job is no longer queued). */
  | 'not_wanted';

export interface StartRunnerDeps {
  github: Pick<GitHubApi, 'generateJitConfig' | 'deleteRunner' | 'findRunnerByName'>;
  placer: Placer;
  metrics: DispatcherMetrics;
  logger: Logger;
  /** Also times the waits between mint attempts. */
  clock: Clock;
}

/** A runner to start, in any caller's terms. */
export interface StartRequest {
  pool: string;
  labels: string[];
  /** Names to mint under, in order: a mint that failed (GitHub may have created the runner anyway)
   * is cleaned up and retried under the next name, never the same one, which would meet a 409. */
  names: readonly string[];
  jobId?: number;
  via: 'webhook' | 'reconciler' | 'demand' | 'action';
  /** Host URL to hold a slot on first (the one that just reported free slots); when it has no room,
   * normal placement. */
  preferHost?: string;
  /** Asked once a slot is held, before minting: false gives the slot back and mints nothing. Asked
   * only then, so a job that finds no slot costs no check (a webhook's re-check of the job is a
   * GitHub read, and a burst larger than the fleet would spend them for nothing). */
  stillWanted?: () => Promise<boolean>;
  /** Called as soon as a JIT config exists, before placement (the action masks it and records the
   * registration for its post step). */
  onMinted?: (minted: { name: string; runnerId: number; jitConfig: string }) => void;
}

export interface StartRunnerResult {
  outcome: StartOutcome;
  name?: string;
  host?: string;
  /** Hosts asked, when no host took the runner. */
  tried?: string[];
  /** Why it failed, when it did. */
  message?: string;
}

export type StartRunner = (request: StartRequest) => Promise<StartRunnerResult>;

/** The dispatcher's form: a runner for a GitHub job. */
export interface StartRunnerInput {
  pool: Pick<PoolConfig, 'name' | 'labels'>;
  jobId: number;
  /** First attempt number to use for the name (0 for a webhook). */
  attempt: number;
  via: 'webhook' | 'reconciler' | 'demand';
  /** Host URL to try first (a slot-free callback's host). */
  preferHost?: string;
  /** See StartRequest.stillWanted. */
  stillWanted?: () => Promise<boolean>;
}

export type RunnerStarter = (input: StartRunnerInput) => Promise<StartRunnerResult>;

/** Mint attempts per job runner: GitHub 5xx after the runner was created is survived with a new name. */
const MINT_ATTEMPTS = 3;

export function createStartRunner(deps: StartRunnerDeps): StartRunner {
  const seconds = (since: number) => (deps.clock.now() - since) / 1000;

  /** After a failed POST, GitHub may still have created the runner: find it by name and delete it. */
  async function cleanupByName(name: string): Promise<void> {
    try {
      const found = await deps.github.findRunnerByName(name);
      if (found && (await deps.github.deleteRunner(found.id)) === 'deleted') deps.metrics.runnersDeleted('unplaced');
    } catch (error: unknown) {
      deps.logger.warn({ runner: name, err: errorMessage(error) }, 'could not clean up after a failed mint; the reconciler will');
    }
  }

  type Minted = { name: string; runnerId: number; jit: string };

  /** Mints under each name in turn; a result for every way it can end. */
  async function mint(request: StartRequest, log: Record<string, unknown>): Promise<Minted | StartRunnerResult> {
    let message = 'no name to mint under';
    for (const [i, name] of request.names.entries()) {
      const t0 = deps.clock.now();
      try {
        const r = await deps.github.generateJitConfig({ name, labels: request.labels });
        deps.metrics.mintSeconds(request.pool, 'ok', seconds(t0));
        return { name, runnerId: r.runnerId, jit: r.encodedJitConfig };
      } catch (error: unknown) {
        const code = error instanceof DispatcherError ? error.code : 'github';
        message = errorMessage(error);
        deps.metrics.mintSeconds(request.pool, code === 'github_conflict' ? 'conflict' : 'error', seconds(t0));
        if (code === 'github_conflict') {
          deps.logger.info({ ...log, runner: name }, 'runner name already registered; this job attempt is handled elsewhere');
          return { outcome: 'duplicate', name, message };
        }
        const retryable = error instanceof DispatcherError ? error.retryable && code === 'github' : false;
        const last = i + 1 >= request.names.length;
        deps.logger.warn({ ...log, runner: name, err: message }, retryable && !last ? 'minting a JIT config failed; retrying with the next name' : 'minting a JIT config failed');
        if (!retryable) return { outcome: 'failed', name, message };
        await cleanupByName(name);
        if (!last) await deps.clock.sleep(200 * 2 ** i * (0.5 + Math.random()));
      }
    }
    return { outcome: 'failed', message };
  }

  return async function startRunner(request) {
    const log = { pool: request.pool, job: request.jobId, via: request.via };
    const preferred = request.preferHost !== undefined ? await deps.placer.reserveOn(request.pool, request.preferHost) : undefined;
    const reserved = preferred ?? (await deps.placer.reserve(request.pool));
    if (reserved === undefined) {
      deps.metrics.unplaced(request.pool);
      return { outcome: 'no_capacity', tried: [] };
    }
    if (request.stillWanted !== undefined) {
      let wanted: boolean;
      try {
        wanted = await request.stillWanted();
      } catch (error: unknown) {
        deps.placer.release(reserved);
        throw error;
      }
      if (!wanted) {
        deps.placer.release(reserved);
        return { outcome: 'not_wanted' };
      }
    }
    const minted = await mint(request, log);
    if ('outcome' in minted) {
      deps.placer.release(reserved);
      return minted;
    }
    request.onMinted?.({ name: minted.name, runnerId: minted.runnerId, jitConfig: minted.jit });

    const t1 = deps.clock.now();
    const placed = await deps.placer.place(
      { name: minted.name, pool: request.pool, labels: request.labels, jitConfig: minted.jit, ...(request.jobId === undefined ? {} : { jobId: request.jobId }) },
      reserved,
    );
    if (placed.placed) {
      deps.metrics.placementSeconds(request.pool, 'placed', seconds(t1));
      if (request.via !== 'action') deps.metrics.runnersStarted(request.pool, request.via);
      deps.logger.info({ ...log, runner: minted.name, host: placed.host }, 'runner placed');
      return { outcome: 'started', name: minted.name, host: placed.host };
    }
    deps.metrics.placementSeconds(request.pool, placed.reason === 'name_taken' ? 'no_capacity' : placed.reason, seconds(t1));
    if (placed.reason === 'uncertain') {
      deps.logger.warn({ ...log, runner: minted.name, host: placed.host }, 'host did not answer in time; leaving the runner to the reconciler');
      return { outcome: 'uncertain', name: minted.name, host: placed.host, tried: placed.tried };
    }
    if (placed.reason === 'no_capacity') deps.metrics.unplaced(request.pool);
    try {
      if ((await deps.github.deleteRunner(minted.runnerId)) === 'deleted') deps.metrics.runnersDeleted('unplaced');
    } catch (error: unknown) {
      deps.logger.warn({ ...log, runner: minted.name, err: errorMessage(error) }, 'could not delete an unplaced registration; the reconciler will');
    }
    if (placed.reason === 'name_taken') {
      deps.logger.warn({ ...log, runner: minted.name, host: placed.host }, 'host already had a runner by this name; registration deleted, the reconciler will use the next attempt');
      return { outcome: 'duplicate', name: minted.name, host: placed.host };
    }
    deps.logger.info({ ...log, tried: placed.tried.length }, 'no host had room; left for the reconciler');
    return { outcome: 'no_capacity', name: minted.name, tried: placed.tried };
  };
}

/** The dispatcher's runner for a job: names `tf-<pool>-j<job>a<attempt>` from `attempt` on, the
 * pool's labels. */
export function createRunnerStarter(deps: StartRunnerDeps): RunnerStarter {
  const start = createStartRunner(deps);
  return ({ pool, jobId, attempt, via, preferHost, stillWanted }) =>
    start({
      ...(preferHost !== undefined ? { preferHost } : {}),
      ...(stillWanted !== undefined ? { stillWanted } : {}),
      pool: pool.name,
      labels: runnerLabels(pool),
      names: Array.from({ length: MINT_ATTEMPTS }, (_, k) => jobRunnerName(pool.name, jobId, attempt + k)),
      jobId,
      via,
    });
}
