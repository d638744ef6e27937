/**
 * mode `start`: mint `count` JIT runners carrying the run's unique label and place each on a host.
 * State is saved after every runner, so the post step can remove whatever a failure left behind.
 */
import type { AgentClient } from '../host-agent/src/api/client';
import type { Placer } from '../dispatcher/src/placement';
import type { GitHubApi } from '../dispatcher/src/github/github-api';
import { Inputs, Outputs, State } from './constants';
import type { ActionCore } from './core';
import { ActionError, errorMessage } from './errors';
import type { ActionInputs, RunContext } from './inputs';
import { runLabel, runLabels, runRunnerName, type SavedRunner } from './run-runners';

export interface StartDeps {
  inputs: ActionInputs;
  context: RunContext;
  core: ActionCore;
  github: GitHubApi;
  placer: Placer;
  agents: ReadonlyMap<string, Pick<AgentClient, 'getRunner'>>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export async function start(deps: StartDeps): Promise<SavedRunner[]> {
  const { inputs, context, core, github, placer } = deps;
  const labels = runLabels(context, inputs.extraLabels);
  const saved: SavedRunner[] = [];
  const save = () => core.saveState(State.Runners, JSON.stringify(saved));
  core.setOutput(Outputs.Label, runLabel(context));
  await checkHosts(placer, inputs);

  for (let i = 1; i <= inputs.count; i++) {
    const name = runRunnerName(inputs.pool, context, i);
    let minted;
    try {
      minted = await github.generateJitConfig({ name, labels });
    } catch (error: unknown) {
      throw new ActionError('github', `minting runner ${i} of ${inputs.count} ('${name}') failed: ${errorMessage(error)}`);
    }
    core.setSecret(minted.encodedJitConfig);
    const entry: SavedRunner = { name, runnerId: minted.runnerId };
    saved.push(entry);
    save();

    const placed = await placer.place({ name, pool: inputs.pool, labels, jitConfig: minted.encodedJitConfig });
    if (!placed.placed) {
      const where = placed.tried.length > 0 ? `tried ${placed.tried.join(', ')}` : `no host of pool '${inputs.pool}' had a free slot`;
      throw new ActionError('placement', `runner ${i} of ${inputs.count} ('${name}') could not be placed (${placed.reason}): ${where}`);
    }
    entry.host = placed.host;
    save();
    core.info(`runner ${name} accepted by ${placed.host}`);
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
  const deadline = deps.now() + deps.inputs.waitTimeoutSeconds * 1000;
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
    if (deps.now() > deadline) {
      throw new ActionError('timeout', `runners not online after ${deps.inputs.waitTimeoutSeconds} s: ${[...pending].join(', ')}`);
    }
    await deps.sleep(1000);
  }
}
