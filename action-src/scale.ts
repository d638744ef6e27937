/**
 * mode `scale`: the operator's hand on warm capacity. Sets `pool`'s warm target on each host (or the
 * one `host`), optionally for a `duration` after which every host's configured baseline applies
 * again, then prints the resulting fleet state in the job summary. Every host is tried; the step
 * fails after the others were set if any host refused or did not answer.
 */
import type { AgentClient, AgentImageClient } from '../core/agent-api/client';
import type { HostInfo, WarmState } from '../core/agent-api/contract';
import type { Clock } from '../core/clock';
import { Outputs } from './constants';
import type { ActionCore } from './core';
import { ActionError, errorMessage } from './errors';
import type { ActionInputs } from './inputs';

export interface ScaleDeps {
  inputs: Pick<ActionInputs, 'pool' | 'warm' | 'durationMs' | 'host'>;
  core: ActionCore;
  agents: ReadonlyMap<string, Pick<AgentClient, 'host'> & Pick<AgentImageClient, 'setWarmTarget'>>;
  clock: Clock;
}

export interface HostScale {
  host: string;
  warm?: WarmState;
  slots?: HostInfo['slots'];
  error?: string;
}

const cell = (s: string | number): string => String(s).replace(/\|/g, '\\|');

/** The job summary: one row per host. */
export function scaleTable(pool: string, rows: readonly HostScale[]): string {
  const lines = rows.map((r) =>
    r.warm && r.slots
      ? `| ${cell(r.host)} | ${r.warm.target} (baseline ${r.warm.baseline}) | ${cell(r.warm.until ?? 'until changed')} | ${r.warm.ready} ready, ${r.warm.booting} booting | ${r.slots.busy} busy, ${r.slots.warm} warm, ${r.slots.free} free of ${r.slots.total} |`
      : `| ${cell(r.host)} | failed | | | ${cell(r.error ?? '')} |`,
  );
  return [`### tartfleet warm capacity: pool \`${pool}\``, '', '| host | warm target | until | warm VMs | slots |', '|---|---|---|---|---|', ...lines, ''].join('\n');
}

export async function scale(deps: ScaleDeps): Promise<HostScale[]> {
  const { inputs, core } = deps;
  const count = inputs.warm ?? 0;
  const untilMs = inputs.durationMs === undefined ? undefined : deps.clock.now() + inputs.durationMs;
  const hosts = inputs.host ? [inputs.host] : [...deps.agents.keys()];
  const rows = await Promise.all(
    hosts.map(async (host): Promise<HostScale> => {
      const agent = deps.agents.get(host);
      if (!agent) return { host, error: `host '${host}' is not among the hosts` };
      try {
        const warm = await agent.setWarmTarget(inputs.pool, count, untilMs);
        const info = await agent.host();
        core.info(`${host}: pool ${inputs.pool} keeps ${warm.target} warm VM(s)${warm.until ? ` until ${warm.until}` : ''}; ${warm.ready} ready, ${warm.booting} booting`);
        return { host, warm, slots: info.slots };
      } catch (error: unknown) {
        core.warning(`scale: ${host} refused or did not answer: ${errorMessage(error)}`);
        return { host, error: errorMessage(error) };
      }
    }),
  );
  await core.summary(scaleTable(inputs.pool, rows));
  core.setOutput(Outputs.Status, JSON.stringify(rows));
  const failed = rows.filter((r) => r.error !== undefined);
  if (failed.length > 0) throw new ActionError('agent', `scale failed on ${failed.length} of ${rows.length} host(s): ${failed.map((r) => `${r.host} (${r.error})`).join('; ')}`);
  return rows;
}
