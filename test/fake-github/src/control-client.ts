import type { AppSeed, WebhookSeed } from './create-fake-github';
import type { FaultSpec } from './faults';
import type { JobRecord, RunRecord, RunSpec, RunnerGroupRecord } from './types';
import type { DeliveryRecord, WebhookFault } from './webhook-sender';

/** The control API of a fake running in another process (`bin/fake-github`), over HTTP. */
export interface ControlClient {
  enqueueRun(spec: RunSpec): Promise<{ runId: number; jobIds: number[] }>;
  cancelRun(runId: number): Promise<void>;
  cancelJob(jobId: number): Promise<void>;
  approveJob(jobId: number): Promise<void>;
  job(jobId: number): Promise<JobRecord | undefined>;
  jobs(): Promise<JobRecord[]>;
  run(runId: number): Promise<RunRecord | undefined>;
  runners(): Promise<Array<{ id: number; name: string; labels: string[]; jobId: number | null; sessionId: string | null }>>;
  addOrg(org: string): Promise<void>;
  addRepo(repo: string): Promise<void>;
  addRunnerGroup(org: string, name: string): Promise<RunnerGroupRecord>;
  addToken(token: string, login?: string, orgs?: string[]): Promise<void>;
  addApp(seed: AppSeed): Promise<void>;
  addWebhook(seed: WebhookSeed): Promise<number>;
  deliveries(): Promise<Array<Omit<DeliveryRecord, 'body'> & { payload: unknown }>>;
  injectWebhookFault(fault: WebhookFault): Promise<void>;
  /** `path` is a regular expression source; `count: null` = every matching request. */
  addFault(fault: Omit<FaultSpec, 'path' | 'count'> & { path: string; count?: number | null }): Promise<void>;
  clearFaults(): Promise<void>;
  forceSecondaryRateLimit(count: number, path?: string, method?: string): Promise<void>;
}

/** Creates a client for the fake at `baseUrl` (e.g. `http://127.0.0.1:PORT`). */
export function createControlClient(baseUrl: string): ControlClient {
  const base = `${baseUrl.replace(/\/+$/, '')}/_control`;
  const send = async <T>(method: string, path: string, body?: unknown, allow404 = false): Promise<T | undefined> => {
    const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    if (allow404 && res.status === 404) return undefined;
    const text = await res.text();
    if (!res.ok) throw new Error(`fake-github control ${method} ${path}: expected 2xx, got ${res.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as T);
  };
  const must = async <T>(p: Promise<T | undefined>): Promise<T> => (await p) as T;
  return {
    enqueueRun: (spec) => must(send('POST', '/runs', spec)),
    cancelRun: async (id) => void (await send('POST', `/runs/${id}/cancel`)),
    cancelJob: async (id) => void (await send('POST', `/jobs/${id}/cancel`)),
    approveJob: async (id) => void (await send('POST', `/jobs/${id}/approve`)),
    job: (id) => send('GET', `/jobs/${id}`, undefined, true),
    jobs: () => must(send('GET', '/jobs')),
    run: (id) => send('GET', `/runs/${id}`, undefined, true),
    runners: () => must(send('GET', '/runners')),
    addOrg: async (org) => void (await send('POST', '/orgs', { org })),
    addRepo: async (repo) => void (await send('POST', '/repos', { repo })),
    addRunnerGroup: (org, name) => must(send('POST', '/runner-groups', { org, name })),
    addToken: async (token, login, orgs) => void (await send('POST', '/tokens', { token, login, orgs })),
    addApp: async (seed) => void (await send('POST', '/apps', seed)),
    addWebhook: async (seed) => (await must(send<{ id: number }>('POST', '/webhooks', seed))).id,
    deliveries: () => must(send('GET', '/deliveries')),
    injectWebhookFault: async (fault) => void (await send('POST', '/webhook-faults', fault)),
    addFault: async (fault) => void (await send('POST', '/faults', fault)),
    clearFaults: async () => void (await send('DELETE', '/faults')),
    forceSecondaryRateLimit: async (count, path, method) => void (await send('POST', '/rate-limits', { forceSecondary: { count, path, method } })),
  };
}
