/**
 * Modes `rollout` and `rollback` (issue 7). Rollout: the canary host alone first, then the other
 * hosts `batch-size` at a time; within a batch every host pulls the image (agent-side disk check),
 * then smoke-tests it in a throw-away VM, and only when the whole batch passed are their pools
 * switched. The first failure stops the rollout: hosts not yet switched keep their old image. The
 * job summary and the `status` output say where every host stands.
 */
import type { AgentImageClient } from '../core/agent-api/client';
import type { Clock } from '../core/clock';
import { Outputs } from './constants';
import type { ActionCore } from './core';
import { ActionError, errorMessage } from './errors';
import type { ActionInputs } from './inputs';

type ImageOps = Pick<AgentImageClient, 'pullImage' | 'listImages' | 'smokeImage' | 'setPoolImage' | 'rollbackPool'>;

export interface RolloutDeps {
  inputs: ActionInputs;
  core: ActionCore;
  agents: ReadonlyMap<string, ImageOps>;
  clock: Clock;
}

/** Where one host stands; `step` is the last step reached (or the one that failed). */
export interface HostRollout {
  host: string;
  step: 'waiting' | 'pull' | 'smoke' | 'switch' | 'switched' | 'rolled-back';
  ok: boolean | undefined;
  /** The pool's image before and after, once switched. */
  previous?: string | null;
  current?: string;
  smokeSeconds?: number;
  error?: string;
}

function cell(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(title: string, rows: readonly HostRollout[]): string {
  const lines = rows.map((r) => `| ${cell(r.host)} | ${r.ok === false ? `failed at ${r.step}` : r.step} | ${cell(r.current)} | ${cell(r.previous)} | ${cell(r.error)} |`);
  return [`### ${title}`, '', '| host | state | pool image | previous | error |', '|---|---|---|---|---|', ...lines, ''].join('\n');
}

async function report(core: ActionCore, title: string, rows: readonly HostRollout[]): Promise<void> {
  await core.summary(table(title, rows));
  core.setOutput(Outputs.Status, JSON.stringify(rows));
}

/** Waits for the agent's background pull of `image` to end; throws with the agent's reason. */
async function pullOn(deps: RolloutDeps, host: string, agent: ImageOps, image: string): Promise<void> {
  const started = await agent.pullImage({ image, ...(deps.inputs.imageSizeBytes === undefined ? {} : { sizeBytes: deps.inputs.imageSizeBytes }) });
  const deadline = deps.clock.now() + deps.inputs.pullTimeoutSeconds * 1000;
  let status = started;
  for (;;) {
    if (status.image === image && status.state === 'done') return;
    if (status.image === image && status.state === 'failed') throw new Error(`tart pull of ${image} failed on ${host}: ${status.message ?? 'no reason given'}`);
    if (deps.clock.now() > deadline) throw new Error(`the pull of ${image} on ${host} did not finish within ${deps.inputs.pullTimeoutSeconds} s (pull-timeout-seconds)`);
    await deps.clock.sleep(1000);
    const listed = await agent.listImages();
    if (listed.pull === null || listed.pull.image !== image) throw new Error(`${host} no longer reports the pull of ${image} (agent restarted?)`);
    status = listed.pull;
  }
}

/** Runs one step on every host of a batch at once; returns false when any failed. */
async function step(batch: HostRollout[], name: HostRollout['step'], work: (row: HostRollout) => Promise<void>): Promise<boolean> {
  await Promise.all(
    batch.map(async (row) => {
      row.step = name;
      try {
        await work(row);
      } catch (error: unknown) {
        row.ok = false;
        row.error = errorMessage(error);
      }
    }),
  );
  return batch.every((r) => r.ok !== false);
}

export async function rollout(deps: RolloutDeps): Promise<HostRollout[]> {
  const { inputs, core } = deps;
  const image = inputs.image;
  if (image === undefined) throw new ActionError('input', 'mode rollout needs an image');
  const order = [inputs.canaryHost, ...inputs.hosts.filter((h) => h !== inputs.canaryHost)];
  const rows: HostRollout[] = order.map((host) => ({ host, step: 'waiting', ok: undefined }));
  const batches: HostRollout[][] = [rows.slice(0, 1)];
  for (let i = 1; i < rows.length; i += inputs.batchSize) batches.push(rows.slice(i, i + inputs.batchSize));
  const agentOf = (host: string): ImageOps => {
    const agent = deps.agents.get(host);
    if (!agent) throw new Error(`host '${host}' is not among the hosts`);
    return agent;
  };

  for (const [n, batch] of batches.entries()) {
    const what = n === 0 ? `canary ${batch[0]?.host}` : `batch ${n} (${batch.map((r) => r.host).join(', ')})`;
    core.info(`rollout of ${image} to pool '${inputs.pool}': ${what}`);
    const passed =
      (await step(batch, 'pull', (row) => pullOn(deps, row.host, agentOf(row.host), image))) &&
      (await step(batch, 'smoke', async (row) => {
        const result = await agentOf(row.host).smokeImage(image);
        row.smokeSeconds = result.seconds;
        core.info(`${row.host}: smoke test ${result.ok ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(1)} s\n${result.output}`);
        if (!result.ok) throw new Error(`smoke test of ${image} failed on ${row.host}: ${result.output.split('\n').filter((l) => /FAIL|smoke:/.test(l)).join('; ') || result.output.slice(-300)}`);
      })) &&
      (await step(batch, 'switch', async (row) => {
        const pool = await agentOf(row.host).setPoolImage(inputs.pool, image);
        row.current = pool.current;
        row.previous = pool.previous;
        row.step = 'switched';
        row.ok = true;
      }));
    if (!passed) {
      await report(core, `tartfleet rollout of ${image}: stopped`, rows);
      const failed = batch.filter((r) => r.ok === false);
      const switched = rows.filter((r) => r.step === 'switched').map((r) => r.host);
      throw new ActionError(
        'agent',
        `rollout of ${image} stopped at the ${what}: ${failed.map((r) => `${r.host} failed at ${r.step}: ${r.error}`).join('; ')}. Switched: ${switched.join(', ') || 'none'}; every other host keeps its old image`,
      );
    }
  }
  await report(core, `tartfleet rollout of ${image}: done`, rows);
  core.info(`rollout of ${image} done on ${rows.length} host(s)`);
  return rows;
}

/** Switches the pool back to its previous image on `host`, or on every host. */
export async function rollback(deps: Omit<RolloutDeps, 'clock'>): Promise<HostRollout[]> {
  const { inputs, core } = deps;
  const hosts = inputs.host !== undefined ? [inputs.host] : [...inputs.hosts];
  const rows: HostRollout[] = hosts.map((host) => ({ host, step: 'waiting', ok: undefined }));
  await Promise.all(
    rows.map(async (row) => {
      try {
        const agent = deps.agents.get(row.host);
        if (!agent) throw new Error(`host '${row.host}' is not among the hosts`);
        const pool = await agent.rollbackPool(inputs.pool);
        Object.assign(row, { step: 'rolled-back', ok: true, current: pool.current, previous: pool.previous });
      } catch (error: unknown) {
        Object.assign(row, { ok: false, error: errorMessage(error) });
      }
    }),
  );
  await report(core, `tartfleet rollback of pool ${inputs.pool}`, rows);
  const failed = rows.filter((r) => r.ok === false);
  if (failed.length > 0) throw new ActionError('agent', `rollback of pool '${inputs.pool}' failed on ${failed.map((r) => `${r.host}: ${r.error}`).join('; ')}`);
  return rows;
}
