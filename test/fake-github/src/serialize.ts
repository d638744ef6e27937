import { createHash } from 'node:crypto';
import type { ResolvedOptions } from './context';
import type { FakeState } from './state';
import type { JobRecord, RunRecord, RunnerGroupRecord, RunnerRecord } from './types';

/** GitHub timestamps have second resolution: `2026-11-28T01:02:03Z`. */
export const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const nodeId = (prefix: string, id: number): string => Buffer.from(`${prefix}${id}`).toString('base64');

/** Stable numeric id for a label name (GitHub gives labels ids; ours only need to be consistent). */
const labelIds = new Map<string, number>();
export const labelId = (name: string): number => {
  const key = name.toLowerCase();
  let id = labelIds.get(key);
  if (id === undefined) {
    id = createHash('sha1').update(key).digest().readUInt32BE(0) % 1_000_000;
    labelIds.set(key, id);
  }
  return id;
};

/** Default read-only labels GitHub's docs show on a new runner (`with-defaults` mode). */
export const DEFAULT_LABELS = ['self-hosted', 'macOS', 'ARM64'];

/** The labels stored for a new runner, per the configured labels mode. */
export function runnerLabelsFor(sent: string[], mode: ResolvedOptions['labelsMode']): string[] {
  if (mode === 'as-sent') return [...new Set(sent.map((l) => l.toLowerCase()))];
  const out = [...DEFAULT_LABELS];
  for (const l of sent) if (!out.some((o) => o.toLowerCase() === l.toLowerCase())) out.push(l);
  return out;
}

/** True while the runner has a session and has been heard from recently (or is polling right now). */
export function isOnline(runner: RunnerRecord, now: number, offlineAfterMs: number): boolean {
  if (runner.sessionId === null) return false;
  return runner.polling || (runner.lastSeenAt !== null && now - runner.lastSeenAt <= offlineAfterMs);
}

/** The REST `runner` object. */
export function runnerJson(runner: RunnerRecord, state: FakeState, options: ResolvedOptions): Record<string, unknown> {
  const defaults = new Set(DEFAULT_LABELS.map((l) => l.toLowerCase()));
  return {
    id: runner.id,
    name: runner.name,
    os: runner.os,
    status: isOnline(runner, state.clock.now(), options.runnerOfflineAfterMs) ? 'online' : 'offline',
    busy: runner.jobId !== null,
    ephemeral: runner.ephemeral,
    runner_group_id: runner.runnerGroupId,
    labels: runner.labels.map((name) => ({
      id: labelId(name),
      name,
      type: options.labelsMode === 'as-sent' || defaults.has(name.toLowerCase()) ? 'read-only' : 'custom',
    })),
    ...(runner.version === null ? {} : { version: runner.version }),
  };
}

/** The REST `runner-groups-org` object. */
export function runnerGroupJson(group: RunnerGroupRecord, base: string): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    visibility: group.visibility,
    default: group.default,
    runners_url: `${base}/orgs/${group.org}/actions/runner-groups/${group.id}/runners`,
    ...(group.hosted ? { hosted_runners_url: `${base}/orgs/${group.org}/actions/runner-groups/${group.id}/hosted-runners` } : {}),
    inherited: false,
    allows_public_repositories: group.hosted,
    restricted_to_workflows: false,
    selected_workflows: [],
    workflow_restrictions_read_only: false,
  };
}

/** The REST `job` object; also the `workflow_job` of webhook payloads. */
export function jobJson(job: JobRecord, base: string): Record<string, unknown> {
  const web = base.replace(/\/api\/v3$/, '');
  const steps = job.status === 'completed' && job.startedAt !== null
    ? [{ name: 'Set up job', status: 'completed', conclusion: 'success', number: 1, started_at: iso(job.startedAt), completed_at: iso(job.startedAt) },
       { name: job.name, status: 'completed', conclusion: job.conclusion === 'success' ? 'success' : job.conclusion ?? 'failure', number: 2, started_at: iso(job.startedAt), completed_at: iso(job.completedAt ?? job.startedAt) }]
    : job.status === 'in_progress' && job.startedAt !== null
      ? [{ name: 'Set up job', status: 'in_progress', conclusion: null, number: 1, started_at: iso(job.startedAt), completed_at: null }]
      : [];
  return {
    id: job.id,
    run_id: job.runId,
    run_url: `${base}/repos/${job.repo}/actions/runs/${job.runId}`,
    run_attempt: job.runAttempt,
    node_id: nodeId('CR_', job.id),
    head_sha: job.headSha,
    url: `${base}/repos/${job.repo}/actions/jobs/${job.id}`,
    html_url: `${web}/${job.repo}/actions/runs/${job.runId}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: iso(job.createdAt),
    // GitHub sets started_at even while a job is queued.
    started_at: iso(job.startedAt ?? job.createdAt),
    completed_at: job.completedAt === null ? null : iso(job.completedAt),
    name: job.name,
    steps,
    check_run_url: `${base}/repos/${job.repo}/check-runs/${job.id}`,
    labels: job.labels,
    runner_id: job.runnerId,
    runner_name: job.runnerName,
    runner_group_id: job.runnerGroupId,
    runner_group_name: job.runnerGroupName,
    workflow_name: job.workflowName,
    head_branch: job.headBranch,
  };
}

/** A run's status and conclusion, derived from its jobs like GitHub does. */
export function runStatus(run: RunRecord, state: FakeState): { status: string; conclusion: string | null } {
  const jobs = run.jobIds.map((id) => state.jobs.get(id)).filter((j): j is JobRecord => j !== undefined);
  if (jobs.every((j) => j.status === 'completed')) {
    const conclusions = jobs.map((j) => j.conclusion);
    const conclusion = conclusions.includes('failure') ? 'failure' : conclusions.includes('cancelled') ? 'cancelled' : 'success';
    return { status: 'completed', conclusion };
  }
  if (jobs.some((j) => j.status === 'in_progress' || j.status === 'completed')) return { status: 'in_progress', conclusion: null };
  if (jobs.every((j) => j.status === 'waiting')) return { status: 'waiting', conclusion: null };
  return { status: 'queued', conclusion: null };
}

/** A `simple-user` for an org or user login. */
export function ownerJson(login: string, id: number, base: string, type: 'Organization' | 'User' | 'Bot' = 'Organization'): Record<string, unknown> {
  const web = base.replace(/\/api\/v3$/, '');
  const u = `${base}/users/${login}`;
  return {
    login, id, node_id: nodeId('O_', id), avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`, gravatar_id: '',
    url: u, html_url: `${web}/${login}`, followers_url: `${u}/followers`, following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`, starred_url: `${u}/starred{/owner}{/repo}`, subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`, repos_url: `${u}/repos`, events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`, type, user_view_type: 'public', site_admin: false,
  };
}

/** A `minimal-repository`-shaped object. */
export function repositoryJson(fullName: string, id: number, ownerId: number, base: string): Record<string, unknown> {
  const [owner = '', name = ''] = fullName.split('/');
  const web = base.replace(/\/api\/v3$/, '');
  const r = `${base}/repos/${fullName}`;
  return {
    id, node_id: nodeId('R_', id), name, full_name: fullName, owner: ownerJson(owner, ownerId, base), private: true,
    html_url: `${web}/${fullName}`, description: null, fork: false, url: r,
    archive_url: `${r}/{archive_format}{/ref}`, assignees_url: `${r}/assignees{/user}`, blobs_url: `${r}/git/blobs{/sha}`,
    branches_url: `${r}/branches{/branch}`, collaborators_url: `${r}/collaborators{/collaborator}`, comments_url: `${r}/comments{/number}`,
    commits_url: `${r}/commits{/sha}`, compare_url: `${r}/compare/{base}...{head}`, contents_url: `${r}/contents/{+path}`,
    contributors_url: `${r}/contributors`, deployments_url: `${r}/deployments`, downloads_url: `${r}/downloads`, events_url: `${r}/events`,
    forks_url: `${r}/forks`, git_commits_url: `${r}/git/commits{/sha}`, git_refs_url: `${r}/git/refs{/sha}`, git_tags_url: `${r}/git/tags{/sha}`,
    git_url: `git://github.com/${fullName}.git`, issue_comment_url: `${r}/issues/comments{/number}`, issue_events_url: `${r}/issues/events{/number}`,
    issues_url: `${r}/issues{/number}`, keys_url: `${r}/keys{/key_id}`, labels_url: `${r}/labels{/name}`, languages_url: `${r}/languages`,
    merges_url: `${r}/merges`, milestones_url: `${r}/milestones{/number}`, notifications_url: `${r}/notifications{?since,all,participating}`,
    pulls_url: `${r}/pulls{/number}`, releases_url: `${r}/releases{/id}`, ssh_url: `git@github.com:${fullName}.git`,
    stargazers_url: `${r}/stargazers`, statuses_url: `${r}/statuses/{sha}`, subscribers_url: `${r}/subscribers`,
    subscription_url: `${r}/subscription`, tags_url: `${r}/tags`, teams_url: `${r}/teams`, trees_url: `${r}/git/trees{/sha}`,
    clone_url: `${web}/${fullName}.git`, hooks_url: `${r}/hooks`,
  };
}

/** The REST `workflow-run` object. */
export function runJson(run: RunRecord, state: FakeState, base: string): Record<string, unknown> {
  const web = base.replace(/\/api\/v3$/, '');
  const r = `${base}/repos/${run.repo}`;
  const repoId = state.repos.get(run.repo) ?? 0;
  const owner = run.repo.split('/')[0] ?? '';
  const ownerId = ownerIdOf(owner);
  const repository = repositoryJson(run.repo, repoId, ownerId, base);
  const { status, conclusion } = runStatus(run, state);
  const workflowId = labelId(`${run.repo}:${run.workflowName}`);
  return {
    id: run.id, name: run.workflowName, node_id: nodeId('WFR_', run.id), head_branch: run.headBranch, head_sha: run.headSha,
    path: '.github/workflows/ci.yml', display_title: run.workflowName, run_number: run.id % 10_000, run_attempt: run.runAttempt,
    event: run.event, status, conclusion, workflow_id: workflowId, check_suite_id: run.id + 1, check_suite_node_id: nodeId('CS_', run.id + 1),
    url: `${r}/actions/runs/${run.id}`, html_url: `${web}/${run.repo}/actions/runs/${run.id}`, pull_requests: [],
    created_at: iso(run.createdAt), updated_at: iso(run.updatedAt), run_started_at: iso(run.createdAt),
    actor: ownerJson('octocat', 583231, base, 'User'), triggering_actor: ownerJson('octocat', 583231, base, 'User'),
    jobs_url: `${r}/actions/runs/${run.id}/jobs`, logs_url: `${r}/actions/runs/${run.id}/logs`,
    check_suite_url: `${r}/check-suites/${run.id + 1}`, artifacts_url: `${r}/actions/runs/${run.id}/artifacts`,
    cancel_url: `${r}/actions/runs/${run.id}/cancel`, rerun_url: `${r}/actions/runs/${run.id}/rerun`,
    previous_attempt_url: null, workflow_url: `${r}/actions/workflows/${workflowId}`,
    head_commit: { id: run.headSha, tree_id: run.headSha, message: 'Update', timestamp: iso(run.createdAt), author: { name: 'Octocat', email: 'octocat@github.com' }, committer: { name: 'GitHub', email: 'noreply@github.com' } },
    repository, head_repository: repository,
  };
}

/** Deterministic id for an org login (the fake keeps no user table). */
export const ownerIdOf = (login: string): number => 10_000 + labelId(`owner:${login}`);

/** A full `repository` object (what `GET /installation/repositories` lists). */
export function fullRepositoryJson(fullName: string, id: number, ownerId: number, base: string): Record<string, unknown> {
  const web = base.replace(/\/api\/v3$/, '');
  return {
    ...repositoryJson(fullName, id, ownerId, base),
    svn_url: `${web}/${fullName}`, mirror_url: null, homepage: null, language: null, forks: 0, forks_count: 0,
    stargazers_count: 0, watchers: 0, watchers_count: 0, size: 0, default_branch: 'main', open_issues: 0, open_issues_count: 0,
    is_template: false, topics: [], has_issues: true, has_projects: false, has_wiki: false, has_pages: false, has_downloads: true,
    archived: false, disabled: false, visibility: 'private', license: null, pushed_at: iso(0), created_at: iso(0), updated_at: iso(0),
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
}
