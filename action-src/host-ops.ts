/** Modes `drain`, `resume` and `status`: operations on agents, no GitHub credentials needed. */
import type { AgentClient } from '../core/agent-api/client';
import type { HostInfo, RunnerRecord } from '../core/agent-api/contract';
import { Outputs } from './constants';
import type { ActionCore } from './core';
import { ActionError, errorMessage } from './errors';

type HostOps = Pick<AgentClient, 'host' | 'listRunners' | 'drain' | 'resume'>;

export interface HostStatus {
  host: string;
  info?: HostInfo;
  runners?: Pick<RunnerRecord, 'name' | 'pool' | 'stage' | 'jobResult'>[];
  error?: string;
}

export async function drainOrResume(core: ActionCore, host: string, agent: HostOps, op: 'drain' | 'resume'): Promise<HostInfo> {
  let info: HostInfo;
  try {
    info = op === 'drain' ? await agent.drain() : await agent.resume();
  } catch (error: unknown) {
    throw new ActionError('agent', `${op} of ${host} failed: ${errorMessage(error)}`);
  }
  core.info(`${host}: ${info.draining ? 'draining' : 'taking work'}; ${info.slots.busy} busy of ${info.slots.total} slots`);
  core.setOutput(Outputs.Status, JSON.stringify([{ host, info }]));
  return info;
}

function cell(s: string | number): string {
  return String(s).replace(/\|/g, '\\|');
}

/** A Markdown table of the fleet for the job summary. */
export function statusTable(statuses: readonly HostStatus[]): string {
  const rows = statuses.map((s) => {
    if (!s.info) return `| ${cell(s.host)} | unreachable | | | | ${cell(s.error ?? '')} |`;
    const { slots, draining, images } = s.info;
    const active = (s.runners ?? []).filter((r) => r.stage !== 'gone' && r.stage !== 'failed');
    return `| ${cell(s.host)} | ${draining ? 'draining' : 'ready'} | ${slots.busy}/${slots.total} busy, ${slots.free} free | ${active.length} | ${cell(images.join(', '))} | ${cell(s.info.id)} ${cell(s.info.version)} |`;
  });
  return ['### tartfleet status', '', '| host | state | slots | runners | images | agent |', '|---|---|---|---|---|---|', ...rows, ''].join('\n');
}

/** Status of every host; unreachable hosts are reported, and fail the step only if all are. */
export async function status(core: ActionCore, agents: ReadonlyMap<string, HostOps>): Promise<HostStatus[]> {
  const statuses = await Promise.all(
    [...agents].map(async ([host, agent]): Promise<HostStatus> => {
      try {
        const [info, runners] = await Promise.all([agent.host(), agent.listRunners()]);
        return { host, info, runners: runners.map(({ name, pool, stage, jobResult }) => ({ name, pool, stage, ...(jobResult ? { jobResult } : {}) })) };
      } catch (error: unknown) {
        core.warning(`status: ${host} did not answer: ${errorMessage(error)}`);
        return { host, error: errorMessage(error) };
      }
    }),
  );
  await core.summary(statusTable(statuses));
  core.setOutput(Outputs.Status, JSON.stringify(statuses));
  if (statuses.every((s) => !s.info)) throw new ActionError('agent', `no host answered: ${statuses.map((s) => `${s.host} (${s.error})`).join('; ')}`);
  return statuses;
}
