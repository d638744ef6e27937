import { sign } from '@octokit/webhooks-methods';
import { createRequire } from 'node:module';
import { Registry } from 'prom-client';
import { createDispatcher } from '../../dispatcher/src/app';
import { silentLogger } from '../../core/logger';
import { createMetrics } from '../../dispatcher/src/metrics';
import { createPlacer } from '../../dispatcher/src/placement';
import { createReconciler } from '../../dispatcher/src/reconciler';
import { createRunnerStarter } from '../../dispatcher/src/start-runner';
import { createFakeAgent } from '../fakes/fake-agent';
import { createFakeClock } from '../fakes/fake-clock';
import { createFakeGitHubApi } from '../fakes/fake-github-api';

const require = createRequire(import.meta.url);

/** The real `workflow_job` examples GitHub published (@octokit/webhooks-examples). */
export function workflowJobExamples(): Record<string, unknown>[] {
  const index = require('@octokit/webhooks-examples/api.github.com/index.json') as { name: string; examples: Record<string, unknown>[] }[];
  return index.find((e) => e.name === 'workflow_job')!.examples;
}

/** A `queued` delivery built from GitHub's real example, with our job id and labels. */
export function queuedPayload(jobId: number, labels: string[], action = 'queued', repo = 'acme/app'): string {
  const example = structuredClone(workflowJobExamples().find((e) => e.action === 'queued')!) as { action: string; workflow_job: Record<string, unknown>; repository: Record<string, unknown> };
  example.action = action;
  example.repository = { ...example.repository, full_name: repo, name: repo.split('/')[1] };
  example.workflow_job = { ...example.workflow_job, id: jobId, labels, status: action === 'queued' ? 'queued' : action, runner_id: null, runner_name: null };
  return JSON.stringify(example);
}

export const WEBHOOK_SECRET = 'webhook-secret-for-tests';
export const OLD_SECRET = 'previous-webhook-secret';

export async function signedRequest(body: string, options: { event?: string; delivery?: string; secret?: string; signature?: string } = {}): Promise<{ method: 'POST'; headers: Record<string, string>; body: string }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': options.event ?? 'workflow_job',
    'x-github-delivery': options.delivery ?? crypto.randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
    'x-hub-signature-256': options.signature ?? (await sign(options.secret ?? WEBHOOK_SECRET, body)),
  };
  return { method: 'POST', headers, body };
}

export function setupApp(options: { total?: number; verifyJobStatus?: boolean; inline?: boolean } = {}) {
  const gh = createFakeGitHubApi();
  const agent = createFakeAgent('http://127.0.0.1:1', { total: options.total ?? 2 });
  const clock = createFakeClock({ autoAdvance: true });
  const agents = new Map([[agent.client.baseUrl, agent.client]]);
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const pools = [
    { name: 'macos', labels: ['macos', 'arm64'], image: 'img', hosts: [{ url: agent.client.baseUrl, secret: 'x'.repeat(32), allowInsecure: false }], warm: { mode: 'fixed' as const, min: 0, max: 0 } },
  ];
  const placer = createPlacer({ agents, poolHosts: new Map([['macos', [agent.client.baseUrl]]]), clock, cacheMs: 0, timeoutMs: 200 });
  const startRunner = createRunnerStarter({ github: gh.api, placer, metrics, logger: silentLogger, clock });
  const reconciler = createReconciler({
    github: gh.api,
    placer,
    startRunner,
    agents,
    pools,
    settings: { intervalMs: 1000, busyIntervalMs: 100, webhookIntervalMs: 180_000, offlineGraceMs: 1000, hostGraceMs: 30_000, idleGraceMs: 1000 },
    agentTimeoutMs: 200,
    clock,
    logger: silentLogger,
    metrics,
  });
  let kicks = 0;
  const dispatcher = createDispatcher({
    config: { webhook: { secrets: [WEBHOOK_SECRET, OLD_SECRET], maxBodyBytes: 1024 * 1024 }, fleetToken: 'fleet-token-0123456789', pools, verifyJobStatus: options.verifyJobStatus ?? true },
    github: gh.api,
    startRunner,
    reconciler,
    placer,
    agents,
    metrics,
    registry,
    logger: silentLogger,
    clock,
    ...(options.inline ? { inline: true } : {}),
    onNoCapacity: () => void kicks++,
  });
  return { gh, agent, dispatcher, app: dispatcher.app, registry, kicks: () => kicks };
}

/** The dispatcher config the serverless adapters' tests share: one pool on one agent, secrets by
 * `env:` reference (GH_TOKEN, WEBHOOK_SECRET, AGENT_SECRET), no placement cache. */
export function serverlessConfig(githubUrl: string, agentUrl: string): Record<string, unknown> {
  return {
    github: { apiUrl: githubUrl, auth: { token: 'env:GH_TOKEN' }, org: 'acme', repos: ['acme/app'] },
    webhook: { secrets: ['env:WEBHOOK_SECRET'] },
    pools: [{ name: 'macos', labels: ['macOS'], image: 'img', hosts: [{ url: agentUrl, secret: 'env:AGENT_SECRET' }] }],
    placement: { cacheMs: 0 },
  };
}
