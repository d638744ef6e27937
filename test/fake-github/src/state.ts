import type {
  AppRecord, HookRecord, InstallationRecord, JobRecord, RunRecord, RunnerGroupRecord, RunnerRecord, TokenRecord,
} from './types';

/** Injectable time source (epoch ms), so tests can reason about timestamps. */
export interface Clock {
  now(): number;
}

/** Every collection the fake keeps in memory. Plain maps: tests may read them, routes mutate them. */
export interface FakeState {
  clock: Clock;
  orgs: Set<string>;
  /** `owner/name` → numeric id. */
  repos: Map<string, number>;
  groups: Map<number, RunnerGroupRecord>;
  runners: Map<number, RunnerRecord>;
  runs: Map<number, RunRecord>;
  jobs: Map<number, JobRecord>;
  apps: Map<number, AppRecord>;
  installations: Map<number, InstallationRecord>;
  tokens: Map<string, TokenRecord>;
  hooks: Map<number, HookRecord>;
  /** Monotonic id source shared by every kind of record (ids never collide, like GitHub's). */
  nextId(): number;
}

/** Creates an empty state; `seedState` fills in orgs, repos and credentials. */
export function createState(clock: Clock): FakeState {
  let id = 1000;
  return {
    clock,
    orgs: new Set(),
    repos: new Map(),
    groups: new Map(),
    runners: new Map(),
    runs: new Map(),
    jobs: new Map(),
    apps: new Map(),
    installations: new Map(),
    tokens: new Map(),
    hooks: new Map(),
    nextId: () => ++id,
  };
}

/** Adds an org with GitHub's two standard groups: 1 `Default` and 2 `GitHub Actions` (hosted). */
export function addOrg(state: FakeState, org: string): void {
  if (state.orgs.has(org)) return;
  state.orgs.add(org);
  const hasDefault = [...state.groups.values()].some((g) => g.id === 1);
  // Group ids are global in this fake; the first org gets GitHub's familiar 1 and 2.
  const defaultId = hasDefault ? state.nextId() : 1;
  const hostedId = hasDefault ? state.nextId() : 2;
  state.groups.set(defaultId, { id: defaultId, org, name: 'Default', visibility: 'all', default: true, hosted: false });
  state.groups.set(hostedId, { id: hostedId, org, name: 'GitHub Actions', visibility: 'all', default: false, hosted: true });
}

/** Adds a runner group to an org and returns it. */
export function addRunnerGroup(state: FakeState, org: string, name: string, visibility: RunnerGroupRecord['visibility'] = 'all'): RunnerGroupRecord {
  const group: RunnerGroupRecord = { id: state.nextId(), org, name, visibility, default: false, hosted: false };
  state.groups.set(group.id, group);
  return group;
}

/** Adds `owner/name` (and its owner org). */
export function addRepo(state: FakeState, fullName: string): void {
  const [owner] = fullName.split('/');
  if (!owner || !fullName.includes('/')) throw new Error(`repo must look like owner/name, got '${fullName}'`);
  addOrg(state, owner);
  if (!state.repos.has(fullName)) state.repos.set(fullName, state.nextId());
}

/** The scope string of an org or repo route. */
export function scopeOf(org: string, repo?: string): string {
  return repo === undefined ? `org:${org}` : `repo:${org}/${repo}`;
}

/** The org that owns a scope (`org:acme` or `repo:acme/app` → `acme`). */
export function orgOfScope(scope: string): string {
  const rest = scope.slice(scope.indexOf(':') + 1);
  return rest.split('/')[0] ?? rest;
}
