/**
 * deploy/workers/: wrangler.toml and its entry run inside workerd (miniflare) exactly as configured —
 * the entry bundled the way wrangler bundles a module worker, the compatibility date, the cron
 * trigger and the TARTFLEET_CONFIG variable from the file — with GitHub App auth against the fake
 * GitHub. Only what cannot be reached from here changes: the API URL and the host URL.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../dispatcher/src/config';
import { waitFor } from '../helpers/wait-for';
import { startFakeGitHub, type RunningFakeGitHub } from '../fake-github/src';
import { startStubAgentServer } from '../fakes/stub-agent-server';
import { queuedPayload, signedRequest } from '../helpers/dispatcher-harness';
import { repoRoot } from '../helpers/sim-env';
import { bundleWorker } from '../helpers/bundle-worker';

interface WranglerToml {
  name: string;
  main: string;
  compatibility_date: string;
  triggers: { crons: string[] };
  vars: { TARTFLEET_CONFIG: string };
  durable_objects: { bindings: { name: string; class_name: string }[] };
  migrations: { tag: string; new_sqlite_classes?: string[] }[];
}
interface TemplateConfig {
  github: { apiUrl?: string; auth: { appId: number; installationId: number }; org: string };
  pools: Array<{ labels: string[]; hosts: Array<{ url: string; secret: string }> }>;
}

const dir = path.join(repoRoot, 'deploy/workers');
const AGENT_SECRET = 'agent-secret-0123456789abcdef0123456789';
const WEBHOOK_SECRET = 'template-webhook-secret';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
// PKCS#8, as wrangler.toml asks: GitHub's download is PKCS#1, which WebCrypto cannot import.
const secrets = { GH_APP_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), WEBHOOK_SECRET, AGENT_SECRET_1: AGENT_SECRET };
let toml: WranglerToml;
let template: TemplateConfig;
let out: string;
let gh: RunningFakeGitHub;
let agent: Awaited<ReturnType<typeof startStubAgentServer>>;
let mf: Miniflare;

beforeAll(async () => {
  toml = parseToml(await readFile(path.join(dir, 'wrangler.toml'), 'utf8')) as unknown as WranglerToml;
  template = JSON.parse(toml.vars.TARTFLEET_CONFIG) as TemplateConfig;
  out = await mkdtemp(path.join(tmpdir(), 'tf-wrangler-'));
  await bundleWorker(path.join(dir, toml.main), path.join(out, 'worker.mjs'));
  const { appId, installationId } = template.github.auth;
  gh = await startFakeGitHub({ jitKeyBits: 1024, apps: [{ id: appId, key: secrets.GH_APP_KEY, installations: [{ id: installationId, account: template.github.org }] }] });
  agent = await startStubAgentServer({ secret: AGENT_SECRET, slots: 4 });
  const config = { ...template, github: { ...template.github, apiUrl: gh.url }, pools: template.pools.map((p) => ({ ...p, hosts: p.hosts.map((h) => ({ ...h, url: agent.url })) })) };
  mf = new Miniflare({
    modules: true,
    scriptPath: path.join(out, 'worker.mjs'),
    modulesRoot: out,
    compatibilityDate: toml.compatibility_date,
    bindings: { ...toml.vars, TARTFLEET_CONFIG: JSON.stringify(config), ...secrets },
    // Pending demand's Durable Object, as the bindings and the SQLite migration declare it.
    durableObjects: Object.fromEntries(
      toml.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: toml.migrations.some((m) => m.new_sqlite_classes?.includes(b.class_name)) }]),
    ),
  });
  await mf.ready;
}, 120_000);

afterAll(async () => {
  // Each on its own: one that failed to start must not keep the others running.
  await Promise.allSettled([mf?.dispose(), agent?.close(), gh?.close()]);
  if (out) await rm(out, { recursive: true, force: true });
});

describe('deploy/workers (wrangler.toml + entry.ts) in workerd', () => {
  it('holds a config the dispatcher accepts once its secrets exist, with a cron trigger', () => {
    expect(toml.name).toBe('tartfleet-dispatcher');
    expect(toml.triggers.crons.length).toBeGreaterThan(0);
    expect(() => parseConfig(JSON.parse(toml.vars.TARTFLEET_CONFIG), secrets)).not.toThrow();
    // Without the secrets the config names exactly what is missing.
    expect(() => parseConfig(JSON.parse(toml.vars.TARTFLEET_CONFIG), {})).toThrow(/GH_APP_KEY/);
  });

  it('answers a signed workflow_job webhook and places a runner, authenticated as the GitHub App', async () => {
    const label = template.pools[0]!.labels[0]!;
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'a', labels: ['self-hosted', label] }] });
    const body = queuedPayload(jobIds[0]!, ['self-hosted', label]);
    const res = await mf.dispatchFetch('https://tartfleet-dispatcher.example.workers.dev/webhook', await signedRequest(body, { secret: WEBHOOK_SECRET }));
    expect(res.status).toBe(202);
    await res.text();
    await waitFor('runner placed', () => agent.started.length === 1, 20_000);
    expect(gh.runners().map((r) => r.name)).toEqual([agent.started[0]!.name]);
  });

  it('runs the reconcile pass on the configured cron', async () => {
    const label = template.pools[0]!.labels[0]!;
    gh.enqueueRun({ jobs: [{ name: 'b', labels: [label] }] });
    const worker = (await mf.getWorker()) as unknown as { scheduled(options: { cron: string }): Promise<unknown> };
    await worker.scheduled({ cron: toml.triggers.crons[0]! });
    await waitFor('runner placed by the scheduled pass', () => agent.started.length === 2, 20_000);
  });
});
