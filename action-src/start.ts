/**
 * mode `start`: start `count` runners carrying the run's unique label, through the same use case as
 * the dispatcher (dispatcher/src/start-runner.ts): a slot is held before each mint, and a
 * registration no host took is deleted at once. State is saved after every mint, so the post step
 * can remove whatever a failure left behind.
 */
import type { AgentClient } from '../core/agent-api/client';
import type { Clock } from '../core/clock';
import type { GitHubApi } from '../dispatcher/src/github/github-api';
import { noopMetrics } from '../dispatcher/src/metrics-port';
import type { Placer } from '../dispatcher/src/placement';
import { createStartRunner, type StartRunnerResult } from '../dispatcher/src/start-runner';
import { actionLogger } from './action-logger';
import { Inputs, Outputs, State } from './constants';
import type { ActionCore } from './core';
import { ActionError } from './errors';
import type { ActionInputs } from './inputs';
import type { RunContext } from './run-context';
import { runLabel, runLabels, runRunner, type SavedRunner } from './run-runners';

export interface StartDeps {
  inputs: ActionInputs;
  context: RunContext;
  core: ActionCore;
  github: GitHubApi;
  placer: Placer;
  agents: ReadonlyMap<string, Pick<AgentClient, 'getRunner'>>;
  clock: Clock;
}

/** Why runner `i` did not start, as the job log should say it. */
function notStarted(inputs: ActionInputs, i: number, name: string, result: StartRunnerResult): ActionError {
  const which = `runner ${i} of ${inputs.count} ('${name}')`;
  if (result.outcome === 'failed' || result.outcome === 'duplicate') {
    return new ActionError('github', `minting ${which} failed: ${result.outcome === 'duplicate' ? `the name is already registered (${result.message ?? 'HTTP 409'})` : result.message}`);
  }
  const tried = result.tried ?? [];
  const where = tried.length > 0 ? `tried ${tried.join(', ')}` : `no host of pool '${inputs.pool}' had a free slot`;
  const reason = result.outcome === 'uncertain' ? `uncertain: ${result.host} did not answer in time` : result.outcome;
  return new ActionError('placement', `${which} could not be placed (${reason}): ${where}`);
}

export async function start(deps: StartDeps): Promise<SavedRunner[]> {
  const { inputs, context, core, placer } = deps;
  const labels = runLabels(context, inputs.extraLabels);
  const saved: SavedRunner[] = [];
  const save = () => core.saveState(State.Runners, JSON.stringify(saved));
  core.setOutput(Outputs.Label, runLabel(context));
  await checkHosts(placer, inputs);
  const startRunner = createStartRunner({ github: deps.github, placer, metrics: noopMetrics, logger: actionLogger(core), clock: deps.clock });

  for (let i = 1; i <= inputs.count; i++) {
    const name = runRunner(inputs.pool, context, i);
    const result = await startRunner({
      pool: inputs.pool,
      labels,
      names: [name],
      via: 'action',
      onMinted: (minted) => {
        core.setSecret(minted.jitConfig);
        saved.push({ name: minted.name, runnerId: minted.runnerId });
        save();
      },
    });
    if (result.outcome !== 'started' || result.host === undefined) throw notStarted(inputs, i, name, result);
    const entry = saved.find((r) => r.name === name);
    if (entry) entry.host = result.host;
    save();
    core.info(`runner ${name} accepted by ${result.host}`);
  }

  if (inputs.waitOnline) await waitOnline(deps, saved);
  core.setOutput(Outputs.Runners, JSON.stringify(saved.map(({ name, host }) => ({ name, host }))));
  core.saveState(State.Complete, 'true');
  return saved;
}

/** Before minting anything: every host unreachable is an input problem; no free slot anywhere is a
 * capacity problem. Either way nothing is registered that would only have to be deleted again. */
async function checkHosts(placer: Placer, inputs: ActionInputs): Promise<void> {
  if ((await placer.freeSlots(inputs.pool)) > 0) return;
  const hosts = await placer.snapshot();
  if (hosts.every((h) => h.error !== undefined)) {
    throw new ActionError('input', `Input '${Inputs.Hosts}' must list reachable tartfleet agents; none answered: ${hosts.map((h) => `${h.host} (${h.error})`).join('; ')}`);
  }
  const state = hosts.map((h) => (h.info ? `${h.host}: ${h.info.draining ? 'draining' : `${h.info.slots.busy}/${h.info.slots.total} busy`}` : `${h.host}: ${h.error}`));
  throw new ActionError('placement', `no host of pool '${inputs.pool}' has a free slot (${state.join('; ')}); try again later or add hosts`);
}

/** Poll each runner's record until it is online (or already running a job); fail on `failed`. */
async function waitOnline(deps: StartDeps, runners: SavedRunner[]): Promise<void> {
  const deadline = deps.clock.now() + deps.inputs.waitTimeoutSeconds * 1000;
  const pending = new Set(runners.map((r) => r.name));
  while (pending.size > 0) {
    for (const r of runners) {
      if (!pending.has(r.name)) continue;
      const agent = deps.agents.get(r.host ?? '');
      const record = await agent?.getRunner(r.name).catch(() => undefined);
      // A fast job can take a runner and finish between two polls: having been online counts.
      const cameOnline = record?.timestamps.online !== undefined || record?.jobResult !== undefined;
      if (!cameOnline && (record?.stage === 'failed' || record?.stage === 'gone' || record?.stage === 'tearing-down')) {
        throw new ActionError('agent', `runner '${r.name}' on ${r.host} ended before it came online: ${record.failure?.reason ?? record.stage} ${record.failure?.message ?? ''}`.trim());
      }
      if (cameOnline) {
        pending.delete(r.name);
        deps.core.info(`runner ${r.name} is online`);
      }
    }
    if (pending.size === 0) break;
    if (deps.clock.now() > deadline) {
      throw new ActionError('timeout', `runners not online after ${deps.inputs.waitTimeoutSeconds} s: ${[...pending].join(', ')}`);
    }
    await deps.clock.sleep(1000);
  }
}
