import type { FakeState } from './state';
import type { AppRecord, HookRecord, InstallationRecord, JobRecord, RunRecord, RunnerGroupRecord, RunnerRecord } from './types';

/**
 * What `--state FILE` keeps across restarts of the CLI. Webhook secrets stay (restoring a hook needs
 * them, and the seed file that created it holds them already); nothing else secret: runners keep only their public
 * key and client id (a JIT config cannot be rebuilt from them), installation tokens are not kept.
 */
export interface StateSnapshot {
  version: 1;
  nextId: number;
  orgs: string[];
  repos: Array<[string, number]>;
  groups: RunnerGroupRecord[];
  runners: RunnerRecord[];
  runs: RunRecord[];
  jobs: JobRecord[];
  apps: AppRecord[];
  installations: InstallationRecord[];
  hooks: HookRecord[];
}

/** Captures the durable part of the state. */
export function snapshotState(state: FakeState): StateSnapshot {
  const ids = [...state.runners.keys(), ...state.runs.keys(), ...state.jobs.keys(), ...state.hooks.keys(), ...state.groups.keys(), ...state.repos.values()];
  return {
    version: 1,
    nextId: Math.max(1000, ...ids) + 1,
    orgs: [...state.orgs],
    repos: [...state.repos.entries()],
    groups: [...state.groups.values()],
    // A restart drops every connection: sessions are gone, runners are offline until they reconnect.
    runners: [...state.runners.values()].map((r) => ({ ...r, sessionId: null, polling: false })),
    runs: [...state.runs.values()],
    jobs: [...state.jobs.values()],
    apps: [...state.apps.values()],
    installations: [...state.installations.values()],
    hooks: [...state.hooks.values()],
  };
}

/** Loads a snapshot into an empty state; returns the job ids that were still queued (to requeue). */
export function restoreState(state: FakeState, snap: StateSnapshot): number[] {
  if (snap.version !== 1) throw new Error(`state snapshot version must be 1, got ${String(snap.version)}`);
  for (const o of snap.orgs) state.orgs.add(o);
  for (const [k, v] of snap.repos) state.repos.set(k, v);
  for (const g of snap.groups) state.groups.set(g.id, g);
  for (const r of snap.runners) state.runners.set(r.id, r);
  for (const r of snap.runs) state.runs.set(r.id, r);
  for (const j of snap.jobs) state.jobs.set(j.id, j);
  for (const a of snap.apps) state.apps.set(a.id, a);
  for (const i of snap.installations) state.installations.set(i.id, i);
  for (const h of snap.hooks) state.hooks.set(h.id, h);
  while (state.nextId() < snap.nextId) { /* advance the id source past every restored id */ }
  return snap.jobs.filter((j) => j.status === 'queued').sort((a, b) => a.createdAt - b.createdAt).map((j) => j.id);
}
