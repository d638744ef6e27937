/**
 * One picture of the fleet, read from where the state lives: each host's `GET /v1/host` (through the
 * placer, so its short cache is shared with placement), each agent's runner records, and our runner
 * registrations as GitHub lists them. `GET /v1/fleet` returns it as is; the status page and
 * `tartfleet-dispatcher status` derive their view from it.
 */
import type { HostInfo, RunnerRecord } from '../../core/agent-api/contract';
import type { Clock } from '../../core/clock';
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
  /** Reuse GitHub's runner listing for this long (a page polling every second must not spend the
   * API budget); 0 or absent: ask every time. */
  githubMaxAgeMs?: number;
  clock?: Pick<Clock, 'now'>;
}

export type FleetSnapshotSource = () => Promise<FleetSnapshot>;

export function createFleetSnapshot(deps: FleetSnapshotDeps): FleetSnapshotSource {
  const maxAge = deps.githubMaxAgeMs ?? 0;
  let cached: { at: number; runners: Promise<GitHubRunner[] | { error: string }> } | undefined;
  function githubRunners(): Promise<GitHubRunner[] | { error: string }> {
    const now = deps.clock?.now() ?? 0;
    if (cached && maxAge > 0 && now - cached.at < maxAge) return cached.runners;
    const runners = deps.github.listRunners().catch((error: unknown) => ({ error: errorMessage(error) }));
    cached = { at: now, runners };
    return runners;
  }
  return async () => {
    const [hosts, runners, records] = await Promise.all([
      deps.placer.snapshot(),
      githubRunners(),
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
