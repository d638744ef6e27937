/**
 * What the reconciler remembers about hosts between passes, so that a dead or flapping host costs
 * only its own runners:
 *
 * - since when each host has not answered (a registration on a host silent past `hostGraceMs` stops
 *   counting as supply, so its job gets a runner elsewhere);
 * - which host each runner was placed on or last seen on (a restart forgets it: such registrations
 *   then wait for the offline grace like any registration no agent knows);
 * - runners whose registration was deleted while their host was silent: when the host answers again
 *   the reconciler cancels them there (DELETE /v1/runners/:name), so a VM that outlived its
 *   registration is torn down.
 *
 * Everything is bounded: names are pruned to those still registered or on a host, cancels per host
 * are capped.
 */
import type { AgentClient } from '../../core/agent-api/client';
import type { Clock } from '../../core/clock';
import { raceDeadline } from '../../core/deadline';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { RunnerStarter } from './start-runner';

export interface HostWatch {
  /** The agents' answers of this pass: `seen` maps runner name → host for every record listed. */
  observe(now: number, unreachable: readonly string[], seen: ReadonlyMap<string, { host: string }>): void;
  /** Milliseconds a host has been silent (0 when it answered this pass). */
  silentFor(host: string, now: number): number;
  /** The host a runner was last seen on. */
  hostOf(name: string): string | undefined;
  /** A runner was just placed on `host` (before any pass has seen it there). */
  placed(name: string, host: string): void;
  /** A registration was deleted; cancel its runner on `hosts` when they answer again. */
  cancelLater(name: string, hosts: readonly string[]): void;
  /** Cancels owed to a host that answered this pass (taken: each is handed out once). */
  takeCancels(host: string): string[];
  /** Forget names no longer registered nor on any host. */
  prune(keep: ReadonlySet<string>): void;
}

const MAX_CANCELS_PER_HOST = 1_000;

export function createHostWatch(): HostWatch {
  const silentSince = new Map<string, number>();
  const lastHost = new Map<string, string>();
  const cancels = new Map<string, Set<string>>();

  return {
    observe(now, unreachable, seen) {
      const down = new Set(unreachable);
      for (const host of [...silentSince.keys()]) if (!down.has(host)) silentSince.delete(host);
      for (const host of down) if (!silentSince.has(host)) silentSince.set(host, now);
      for (const [name, { host }] of seen) lastHost.set(name, host);
    },
    silentFor(host, now) {
      const since = silentSince.get(host);
      return since === undefined ? 0 : now - since;
    },
    hostOf: (name) => lastHost.get(name),
    placed(name, host) {
      lastHost.set(name, host);
    },
    cancelLater(name, hosts) {
      for (const host of hosts) {
        const set = cancels.get(host) ?? cancels.set(host, new Set()).get(host)!;
        if (set.size < MAX_CANCELS_PER_HOST) set.add(name);
      }
    },
    takeCancels(host) {
      if (silentSince.has(host)) return [];
      const names = [...(cancels.get(host) ?? [])];
      cancels.delete(host);
      return names;
    },
    prune(keep) {
      for (const name of [...lastHost.keys()]) if (!keep.has(name)) lastHost.delete(name);
    },
  };
}

/** Cancel, on every host that answered this pass, the runners owed to it (the agent tears their VMs
 * down; a name it does not know is a 404, which is fine). */
export async function cancelOwedRunners(
  watch: HostWatch,
  deps: { agents: ReadonlyMap<string, Pick<AgentClient, 'cancelRunner'>>; clock: Clock; agentTimeoutMs: number; logger: Logger },
): Promise<void> {
  await Promise.all(
    [...deps.agents.entries()].map(async ([host, agent]) => {
      for (const name of watch.takeCancels(host)) {
        try {
          await raceDeadline(deps.clock, `DELETE ${host}/v1/runners/${name}`, deps.agentTimeoutMs, agent.cancelRunner(name));
          deps.logger.info({ host, runner: name }, 'cancelled a runner whose registration was deleted while its host was silent');
        } catch (error: unknown) {
          deps.logger.warn({ host, runner: name, err: errorMessage(error) }, 'cancelling a runner on a host that came back failed');
        }
      }
    }),
  );
}

/** A starter that tells the watch where each runner went, whichever path started it. */
export function watchPlacements(watch: HostWatch, start: RunnerStarter): RunnerStarter {
  return async (input) => {
    const result = await start(input);
    if (result.host !== undefined && result.name !== undefined) watch.placed(result.name, result.host);
    return result;
  };
}
