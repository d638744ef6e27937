/**
 * One picture of the fleet, read from where the state lives: each host's `GET /v1/host` (through the
 * placer, so its short cache is shared with placement), each agent's runner records, and our runner
 * registrations as GitHub lists them. `GET /v1/fleet` returns it as is; the status page and
 * `tartfleet-dispatcher status` derive their view from it.
 */
import type { HostInfo, RunnerRecord } from '../../core/agent-api/contract';
import { errorMessage } from '../../core/errors';
import { parseJobRunnerName } from '../../core/names';
import type { GitHubApi, GitHubRunner } from './github/github-api';
import type { Placer } from './placement';
import type { ReconcileAgent } from './reconciler';

export interface FleetHost {
  /** The agent's URL as configured. */
  host: string;
  info?: HostInfo;
  /** Why `GET /v1/host` failed, when it did. */
  error?: string;
  runners: RunnerRecord[];
  /** Why `GET /v1/runners` failed, when it did. */
  runnersError?: string;
}

export interface FleetSnapshot {
  hosts: FleetHost[];
  github: { runners: GitHubRunner[] | { error: string }; rateLimitRemaining: number | null };
}

export interface FleetSnapshotDeps {
  placer: Pick<Placer, 'snapshot'>;
  github: Pick<GitHubApi, 'listRunners' | 'rateLimitRemaining'>;
  agents: ReadonlyMap<string, Pick<ReconcileAgent, 'listRunners'>>;
}

export type FleetSnapshotSource = () => Promise<FleetSnapshot>;

export function createFleetSnapshot(deps: FleetSnapshotDeps): FleetSnapshotSource {
  return async () => {
    const [hosts, runners, records] = await Promise.all([
      deps.placer.snapshot(),
      deps.github.listRunners().catch((error: unknown) => ({ error: errorMessage(error) })),
      Promise.all(
        [...deps.agents.entries()].map(async ([host, agent]) => {
          try {
            return { host, runners: await agent.listRunners() };
          } catch (error: unknown) {
            return { host, runners: [], error: errorMessage(error) };
          }
        }),
      ),
    ]);
    // Only registrations whose names are ours: other self-hosted runners in the org are not our business.
    const ours = Array.isArray(runners) ? runners.filter((r) => parseJobRunnerName(r.name)) : runners;
    return {
      hosts: hosts.map((h) => {
        const r = records.find((x) => x.host === h.host);
        return { ...h, runners: r?.runners ?? [], ...(r?.error ? { runnersError: r.error } : {}) };
      }),
      github: { runners: ours, rateLimitRemaining: deps.github.rateLimitRemaining() ?? null },
    };
  };
}
