import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type RunningFakeGitHub } from '../fake-github/src';
import { startProc, waitFor, type Proc } from '../../demo/src/proc';
import { startStubAgentServer } from '../fakes/stub-agent-server';

const bundle = path.resolve(__dirname, '../../build/dispatcher/tartfleet-dispatcher.mjs');
const AGENT_SECRET = 'agent-secret-0123456789abcdef0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-dispatcher-cli-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const p = startProc(process.execPath, [bundle, ...args], { env: { PATH: process.env.PATH, ...env } });
  cleanups.push(() => p.stop(3_000));
  return p;
}

describe('tartfleet-dispatcher CLI', () => {
  it('prints its version and refuses a bad config, listing every problem', async () => {
    const v = run(['--version']);
    expect(await v.exited).toBe(0);
    expect(v.lines).toEqual(['0.1.0']);
    const dir = await tempDir();
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'github:\n  auth: {token: env:NOPE}\npools: []\n');
    const bad = run(['serve', '--config', file]);
    expect(await bad.exited).toBe(78);
    const text = bad.lines.join('\n');
    expect(text).toContain('environment variable NOPE is not set');
    expect(text).toContain('pools: at least one pool is required');
    expect(text).toContain('exactly one of github.org or github.repo');
  });

  it('serves webhooks end to end over real HTTP: signed delivery → mint → signed POST to the agent, reconciler fills in later', async () => {
    const gh: RunningFakeGitHub = await startFakeGitHub({ jitKeyBits: 1024 });
    cleanups.push(() => gh.close());
    const agents = await Promise.all([1, 2].map((i) => startStubAgentServer({ secret: AGENT_SECRET, slots: 1, hostId: `mini-${i}` })));
    for (const a of agents) cleanups.push(() => a.close());
    const dir = await tempDir();
    const file = path.join(dir, 'dispatcher.json');
    await writeFile(
      file,
      JSON.stringify({
        github: { apiUrl: gh.url, auth: { token: 'env:GH_TOKEN' }, org: 'acme', repos: ['acme/app'] },
        webhook: { secrets: ['env:WEBHOOK_SECRET'] },
        fleetToken: 'env:FLEET_TOKEN',
        pools: [{ name: 'macos', labels: ['macOS', 'arm64'], image: 'runner:15', hosts: agents.map((a) => ({ url: a.url, secret: 'env:AGENT_SECRET' })) }],
        reconcile: { intervalMs: 2_000, busyIntervalMs: 300, offlineGraceMs: 60_000, idleGraceMs: 60_000 },
        placement: { cacheMs: 0 },
        listen: { port: 0 },
      }),
    );
    const secrets = { GH_TOKEN: 'test-token', WEBHOOK_SECRET: 'whsec-cli-test', FLEET_TOKEN: 'fleet-token-0123456789', AGENT_SECRET };
    // Pending demand's SQLite file goes to the state directory systemd would name.
    const d = run(['serve', '--config', file], { ...secrets, STATE_DIRECTORY: path.join(dir, 'state') });
    const url = JSON.parse((await d.waitForLine(/"msg":"listening"/, 20_000)).input).url as string;
    gh.addWebhook({ url: `${url}/webhook`, secret: 'whsec-cli-test', org: 'acme' });

    const { jobIds } = gh.enqueueRun({ jobs: [1, 2, 3].map((n) => ({ name: `build-${n}`, labels: ['self-hosted', 'macos'] })).concat([{ name: 'linux', labels: ['ubuntu-latest'] }]) });
    // Two slots: two runners now, the third waits for a slot.
    await waitFor('two runners placed', () => agents.flatMap((a) => a.started).length === 2, 20_000);
    const firstRecord = agents.find((a) => a.started.length === 1)!;
    expect(agents.map((a) => a.started.length)).toEqual([1, 1]);
    // Every queued delivery (three macOS jobs, one Linux job) has been handled — answered 202 and then
    // acted on — so none is still in flight when the slot frees up.
    await waitFor('all four queued deliveries handled', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const handled = [...text.matchAll(/^dispatcher_webhooks_total\{result="[a-z_]+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      return handled >= 4;
    }, 20_000);
    // A slot frees up: the reconciler (not a webhook) starts the third.
    firstRecord.records.get(firstRecord.started[0]!.name)!.stage = 'gone';
    await waitFor('third runner placed by the reconciler', () => agents.flatMap((a) => a.started).length === 3, 20_000);
    const names = agents.flatMap((a) => a.started.map((s) => s.name)).sort();
    // Names are tf-<pool>-j<job>a<attempt> for the macOS jobs only (any runner may take any of them).
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(jobIds.slice(0, 3).map(String)).toContain(/^tf-macos-j(\d+)a\d$/.exec(n)?.[1]);
    expect(agents.flatMap((a) => a.started).every((s) => s.jitConfig.length > 100 && s.labels.join() === 'self-hosted,macOS,arm64')).toBe(true);
    // Registrations: one per runner whose VM still exists; the one whose VM went away without its
    // runner ever connecting was deleted by the reconciler; nothing for the Linux job.
    const gone = firstRecord.started[0]!.name;
    await waitFor('the registration without a VM deleted', () => !gh.runners().some((r) => r.name === gone), 10_000);
    expect(gh.runners().map((r) => r.name).sort()).toEqual(names.filter((n) => n !== gone));
    expect(gh.webhooks.deliveries().filter((x) => x.event === 'workflow_job').every((x) => x.statusCode === 202 || x.statusCode === 200)).toBe(true);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const started = (via: string) => Number(new RegExp(`dispatcher_runners_started_total\\{pool="macos",via="${via}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    // Webhooks and the reconciler race for the first two; the third can only come from the reconciler.
    expect(started('webhook') + started('reconciler')).toBe(3);
    expect(started('reconciler')).toBeGreaterThanOrEqual(1);
    expect(metrics).toContain('process_resident_memory_bytes');
    const fleet = await fetch(`${url}/v1/fleet`, { headers: { authorization: 'Bearer fleet-token-0123456789' } });
    expect(fleet.status).toBe(200);
    // No secret in the logs.
    const log = d.lines.join('\n');
    for (const s of Object.values(secrets)) expect(log).not.toContain(s);
    expect(await d.stop()).toBe(0);
  });
});
