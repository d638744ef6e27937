/**
 * Start one runner for a job: check for room, mint a JIT config, place it on a host; a registration
 * that no host took is deleted again. Used by the webhook path and the reconciler alike.
 */
import type { Clock } from './clock';
import type { PoolConfig } from './config';
import { DispatcherError, errorMessage } from './errors';
import type { GitHubApi } from './github/github-api';
import type { Logger } from './logger';
import type { DispatcherMetrics } from './metrics-port';
import type { Placer } from './placement';
import { runnerLabels } from './pool-match';
import { formatRunnerName } from './runner-name';

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
  | 'failed';

export interface StartRunnerDeps {
  github: GitHubApi;
  placer: Placer;
  metrics: DispatcherMetrics;
  logger: Logger;
  clock: Clock;
  /** Waits between mint attempts; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export interface StartRunnerInput {
  pool: PoolConfig;
  jobId: number;
  /** First attempt number to use for the name (0 for a webhook). */
  attempt: number;
  via: 'webhook' | 'reconciler';
}

export interface StartRunnerResult {
  outcome: StartOutcome;
  name?: string;
  host?: string;
}

/** Mint attempts per start: GitHub 5xx after the runner was created is survived with a new name. */
const MINT_ATTEMPTS = 3;

export type RunnerStarter = (input: StartRunnerInput) => Promise<StartRunnerResult>;

export function createRunnerStarter(deps: StartRunnerDeps): RunnerStarter {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
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

  return async function startRunner({ pool, jobId, attempt, via }) {
    const log = { pool: pool.name, job: jobId, via };
    const reserved = await deps.placer.reserve(pool.name);
    if (reserved === undefined) {
      // Minting now would only create a registration to delete again.
      deps.metrics.unplaced(pool.name);
      return { outcome: 'no_capacity' };
    }

    let minted: { name: string; runnerId: number; jit: string } | undefined;
    for (let a = attempt; a < attempt + MINT_ATTEMPTS && !minted; a++) {
      const name = formatRunnerName(pool.name, jobId, a);
      const t0 = deps.clock.now();
      try {
        const r = await deps.github.generateJitConfig({ name, labels: runnerLabels(pool) });
        deps.metrics.mintSeconds(pool.name, 'ok', seconds(t0));
        minted = { name, runnerId: r.runnerId, jit: r.encodedJitConfig };
      } catch (error: unknown) {
        const code = error instanceof DispatcherError ? error.code : 'github';
        deps.metrics.mintSeconds(pool.name, code === 'github_conflict' ? 'conflict' : 'error', seconds(t0));
        if (code === 'github_conflict') {
          deps.placer.release(reserved);
          deps.logger.info({ ...log, runner: name }, 'runner name already registered; this job attempt is handled elsewhere');
          return { outcome: 'duplicate', name };
        }
        const retryable = error instanceof DispatcherError ? error.retryable && code === 'github' : false;
        deps.logger.warn({ ...log, runner: name, err: errorMessage(error) }, retryable ? 'minting a JIT config failed; retrying with the next name' : 'minting a JIT config failed');
        if (!retryable) {
          deps.placer.release(reserved);
          return { outcome: 'failed', name };
        }
        await cleanupByName(name);
        if (a + 1 < attempt + MINT_ATTEMPTS) await sleep(200 * 2 ** (a - attempt) * (0.5 + Math.random()));
      }
    }
    if (!minted) {
      deps.placer.release(reserved);
      return { outcome: 'failed' };
    }

    const t1 = deps.clock.now();
    const placed = await deps.placer.place({ name: minted.name, pool: pool.name, labels: runnerLabels(pool), jitConfig: minted.jit, jobId }, reserved);
    if (placed.placed) {
      deps.metrics.placementSeconds(pool.name, 'placed', seconds(t1));
      deps.metrics.runnersStarted(pool.name, via);
      deps.logger.info({ ...log, runner: minted.name, host: placed.host }, 'runner placed');
      return { outcome: 'started', name: minted.name, host: placed.host };
    }
    deps.metrics.placementSeconds(pool.name, placed.reason === 'name_taken' ? 'no_capacity' : placed.reason, seconds(t1));
    if (placed.reason === 'uncertain') {
      deps.logger.warn({ ...log, runner: minted.name, host: placed.host }, 'host did not answer in time; leaving the runner to the reconciler');
      return { outcome: 'uncertain', name: minted.name, host: placed.host };
    }
    if (placed.reason === 'no_capacity') deps.metrics.unplaced(pool.name);
    try {
      if ((await deps.github.deleteRunner(minted.runnerId)) === 'deleted') deps.metrics.runnersDeleted('unplaced');
    } catch (error: unknown) {
      deps.logger.warn({ ...log, runner: minted.name, err: errorMessage(error) }, 'could not delete an unplaced registration; the reconciler will');
    }
    if (placed.reason === 'name_taken') {
      deps.logger.warn({ ...log, runner: minted.name, host: placed.host }, 'host already had a runner by this name; registration deleted, the reconciler will use the next attempt');
      return { outcome: 'duplicate', name: minted.name };
    }
    deps.logger.info({ ...log, tried: placed.tried.length }, 'no host had room; left for the reconciler');
    return { outcome: 'no_capacity', name: minted.name };
  };
}
