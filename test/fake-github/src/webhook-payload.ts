import { createRequire } from 'node:module';
import type { JobAction } from './job-engine';
import { jobJson, ownerIdOf } from './serialize';
import type { FakeState } from './state';
import type { JobRecord } from './types';

interface Example {
  action: string;
  repository: Record<string, unknown>;
  organization?: Record<string, unknown>;
  sender: Record<string, unknown>;
}

// The real payloads from @octokit/webhooks-examples are the template for repository/organization/sender,
// so every delivery has GitHub's field set; only names, ids and URLs are rewritten.
const load = createRequire(import.meta.url);
const examples = (load('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Example[] }>)
  .find((e) => e.name === 'workflow_job')?.examples ?? [];
const template = examples.find((e) => e.organization !== undefined && (e.repository.full_name as string) === 'Codertocat/Hello-World');
if (!template) throw new Error('webhooks-examples: expected a workflow_job example for Codertocat/Hello-World with an organization, found none');
const TEMPLATE_JSON = JSON.stringify({ repository: template.repository, organization: template.organization, sender: template.sender });

/** Builds a `workflow_job` payload for `job` as GitHub would send it for `action`. */
export function workflowJobPayload(state: FakeState, action: JobAction, job: JobRecord, base: string, installationId: number | null): Record<string, unknown> {
  const [owner = '', name = ''] = job.repo.split('/');
  const web = base.replace(/\/api\/v3$/, '');
  const rewritten = TEMPLATE_JSON
    .replaceAll('https://api.github.com', base)
    .replaceAll('https://github.com', web)
    .replaceAll('Codertocat/Hello-World', job.repo)
    .replaceAll('Octocoders', owner)
    .replaceAll('Hello-World', name);
  const parts = JSON.parse(rewritten) as { repository: Record<string, unknown>; organization: Record<string, unknown>; sender: Record<string, unknown> };
  const ownerId = ownerIdOf(owner);
  parts.repository.id = state.repos.get(job.repo) ?? 0;
  parts.repository.private = true;
  (parts.repository.owner as Record<string, unknown>).id = ownerId;
  parts.organization.id = ownerId;
  const workflowJob = jobJson(job, base);
  if (action === 'queued' || action === 'waiting') {
    // "null as long as workflow_job[status] is queued"
    Object.assign(workflowJob, { runner_id: null, runner_name: null, runner_group_id: null, runner_group_name: null, status: job.status === 'waiting' || action === 'waiting' ? 'waiting' : 'queued', conclusion: null, completed_at: null, steps: [] });
  }
  return {
    action,
    workflow_job: workflowJob,
    repository: parts.repository,
    organization: parts.organization,
    sender: parts.sender,
    ...(installationId === null ? {} : { installation: { id: installationId, node_id: Buffer.from(`MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${installationId}`).toString('base64') } }),
  };
}
