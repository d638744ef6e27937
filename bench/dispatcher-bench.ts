/**
 * Dispatcher benchmarks (issue 5), in one run:
 *  1. latency — webhook received → agent accepted the runner (p50/p99; target p99 ≤ 50 ms), with the
 *     fake GitHub in-process (no injected latency) and the agent's real HTTP app over a stub service;
 *  2. throughput — signed webhooks/s verified and answered by the dispatcher process (target ≥ 1,000/s),
 *     driven by autocannon; the dispatcher's RSS under that load (target ≤ 120 MB);
 *  3. burst — 200 queued jobs at once against GitHub's secondary limit (900 points/min per endpoint):
 *     200 runners minted, counting 403/429 answers (target: no storm);
 *  4. backlog — the dispatcher process, run as deploy/node runs it (its NODE_OPTIONS), with 100 hosts
 *     and 10,000 queued jobs (200 placed at the write budget's pace, the rest pending demand in
 *     SQLite): its peak RSS (target ≤ 150 MB).
 * Prints a table and writes bench/results/dispatcher.json.
 *
 * Run: npm run bench:dispatcher -- [--latency-jobs 200] [--seconds 10] [--connections 8] [--burst 200] [--backlog-jobs 10000] [--backlog-hosts 100] [--backlog-seconds 20] [--only latency|throughput|burst|backlog]
 */
import { sign } from '@octokit/webhooks-methods';
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { buildDispatcher } from '../dispatcher/src/build-dispatcher';
import { createMetrics } from '../dispatcher/src/metrics';
import { parseConfig } from '../dispatcher/src/config';
import { startProc } from '../demo/src/proc';
import { percentile } from '../demo/src/report';
import { startFakeGitHub } from '../test/fake-github/src';
import { startStubAgentServer } from '../test/fakes/stub-agent-server';
import { queuedPayload } from '../test/helpers/dispatcher-harness';
import { procMemoryMb, resultsFile, size } from './bench-env';
import { deployedNodeOptions } from './deployed-node-options';

const root = process.env.TARTFLEET_ROOT ?? process.cwd();

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number, got '${process.argv[i + 1]}'`);
  return v;
}

const AGENT_SECRET = 'bench-agent-secret-0123456789abcdef0123';
const WEBHOOK_SECRET = 'bench-webhook-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(githubUrl: string, agentUrls: string[], extra: Record<string, unknown> = {}) {
  return parseConfig({
    github: { apiUrl: githubUrl, auth: { token: 'test-token' }, org: 'acme', repos: ['acme/app'], writesPerMinute: 600 },
    webhook: { secrets: [WEBHOOK_SECRET] },
    pools: [{ name: 'macos', labels: ['macOS'], image: 'img', hosts: agentUrls.map((url) => ({ url, secret: AGENT_SECRET })) }],
    placement: { cacheMs: 1000 },
    ...extra,
  });
}

/** 1. Webhook received → agent accepted, one process, GitHub in-process. */
async function latency(jobs: number) {
  // The fake generates an RSA key per JIT config; GitHub's own work is not what is measured here, so
  // keep it small (the time inside GitHub calls is reported apart anyway).
  const gh = await startFakeGitHub({ jitKeyBits: 512 });
  const agent = await startStubAgentServer({ secret: AGENT_SECRET, slots: jobs + 10 });
  const acceptedAt = new Map<number, number>();
  const startFn = agent.started.push.bind(agent.started);
  agent.started.push = (...items) => {
    for (const r of items) acceptedAt.set(r.jobId ?? -1, performance.now());
    return startFn(...items);
  };
  // Time spent inside GitHub calls (the fake's RSA key generation for each JIT config is GitHub's
  // cost, not ours), to report the dispatcher's own overhead beside the total.
  const githubCalls: [number, number][] = [];
  const timedFetch: typeof fetch = async (input, init) => {
    const t = performance.now();
    try {
      return await fetch(input, init);
    } finally {
      if (String(input instanceof Request ? input.url : input).startsWith(gh.url)) githubCalls.push([t, performance.now()]);
    }
  };
  const registry = new Registry();
  const d = buildDispatcher({ config: config(gh.url, [agent.url]), fetch: timedFetch, metrics: createMetrics(registry), registry });
  const { jobIds } = gh.enqueueRun({ jobs: Array.from({ length: jobs }, (_, i) => ({ name: `j${i}`, labels: ['macos'] })) });
  const receivedAt = new Map<number, number>();
  // 8 per second: below the 600/min write budget, so the limiter never waits.
  for (const id of jobIds) {
    const body = queuedPayload(id, ['self-hosted', 'macos']);
    const headers = { 'x-github-event': 'workflow_job', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': await sign(WEBHOOK_SECRET, body), 'content-type': 'application/json' };
    receivedAt.set(id, performance.now());
    const res = await d.app.request('/webhook', { method: 'POST', headers, body });
    if (res.status !== 202) throw new Error(`webhook for job ${id} answered ${res.status}`);
    await sleep(125);
  }
  await d.settled();
  const ms = jobIds.map((id) => (acceptedAt.get(id) ?? NaN) - (receivedAt.get(id) ?? NaN)).filter(Number.isFinite);
  const own = jobIds
    .map((id) => {
      const from = receivedAt.get(id) ?? NaN;
      const to = acceptedAt.get(id) ?? NaN;
      const inGitHub = githubCalls.filter(([s, e]) => s >= from && e <= to).reduce((sum, [s, e]) => sum + (e - s), 0);
      return to - from - inGitHub;
    })
    .filter(Number.isFinite);
  const text = await registry.metrics();
  const mean = (name: string) => {
    const sum = Number(new RegExp(`${name}_sum\\{[^}]*outcome="(ok|placed)"\\} ([\\d.e-]+)`).exec(text)?.[2] ?? NaN);
    const count = Number(new RegExp(`${name}_count\\{[^}]*outcome="(ok|placed)"\\} (\\d+)`).exec(text)?.[2] ?? NaN);
    return Number(((sum / count) * 1000).toFixed(1));
  };
  await agent.close();
  await gh.close();
  return { jobs, mintMeanMs: mean('dispatcher_jit_mint_duration_seconds'), placementMeanMs: mean('dispatcher_placement_duration_seconds'), placed: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: Math.max(...ms), ownP50Ms: percentile(own, 50), ownP99Ms: percentile(own, 99) };
}

/** 2. Signed webhooks/s through the real dispatcher process, and its RSS. */
async function throughput(seconds: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-dispatcher-bench-'));
  const gh = await startFakeGitHub({ jitKeyBits: 1024 });
  const file = path.join(dir, 'dispatcher.json');
  await writeFile(
    file,
    JSON.stringify({
      github: { apiUrl: gh.url, auth: { token: 'test-token' }, org: 'acme', repos: ['acme/app'] },
      webhook: { secrets: [WEBHOOK_SECRET, 'previous-secret'] },
      pools: [{ name: 'macos', labels: ['macOS'], image: 'img', hosts: [{ url: 'http://127.0.0.1:9', secret: AGENT_SECRET }] }],
      reconcile: { intervalMs: 600_000 },
      listen: { port: 0 },
    }),
  );
  const proc = startProc(process.execPath, [path.join(root, 'build/dispatcher/tartfleet-dispatcher.mjs'), 'serve', '--config', file], { env: { PATH: process.env.PATH } });
  try {
    const url = (JSON.parse((await proc.waitForLine(/"msg":"listening"/, 30_000)).input) as { url: string }).url;
    // A real `completed` delivery: verified, parsed, deduplicated by delivery id, answered; no GitHub call.
    const body = queuedPayload(424242, ['self-hosted', 'macos'], 'completed');
    const signature = await sign(WEBHOOK_SECRET, body);
    const pid = proc.child.pid as number;
    let rssMax = 0;
    const sampler = setInterval(() => {
      const mb = procMemoryMb(pid, 'VmRSS');
      if (Number.isFinite(mb)) rssMax = Math.max(rssMax, mb * 1024 * 1024);
    }, 200);
    let n = 0;
    const load = await autocannon({
      url,
      connections: option('connections', 8),
      duration: seconds,
      requests: [{
        method: 'POST',
        path: '/webhook',
        body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_job', 'x-hub-signature-256': signature },
        // A fresh delivery id per request, as GitHub sends: the dispatcher deduplicates by it.
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-github-delivery': `bench-${process.pid}-${++n}` } }),
      }],
    });
    clearInterval(sampler);
    const rps = load.requests.average;
    const non2xx = load.non2xx + load.errors;
    const p99Ms = load.latency.p99;
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const answered = Number(/dispatcher_webhooks_total\{result="ignored"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    return { seconds, requestsPerSecond: rps, non2xx, p99Ms, answeredIgnored: answered, rssMaxMb: Math.round(rssMax / 1024 / 1024) };
  } finally {
    await proc.stop(5_000);
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** 3. A burst of queued jobs against GitHub's secondary limit. */
async function burst(n: number) {
  const gh = await startFakeGitHub({ jitKeyBits: 1024, secondaryRateLimit: { pointsPerMinute: 900, retryAfterSeconds: 60 } });
  const agents = await Promise.all([0, 1, 2, 3].map(() => startStubAgentServer({ secret: AGENT_SECRET, slots: Math.ceil(n / 4) + 5 })));
  const statuses = new Map<number, number>();
  const countingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return res;
  };
  // Default write budget (150/min) — the setting an operator gets.
  const cfg = config(gh.url, agents.map((a) => a.url), {});
  const d = buildDispatcher({ config: { ...cfg, github: { ...cfg.github, writesPerMinute: 150 } }, fetch: countingFetch });
  const { jobIds } = gh.enqueueRun({ jobs: Array.from({ length: n }, (_, i) => ({ name: `j${i}`, labels: ['macos'] })) });
  const t0 = performance.now();
  await Promise.all(
    jobIds.map(async (id) => {
      const body = queuedPayload(id, ['self-hosted', 'macos']);
      const headers = { 'x-github-event': 'workflow_job', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': await sign(WEBHOOK_SECRET, body), 'content-type': 'application/json' };
      const res = await d.app.request('/webhook', { method: 'POST', headers, body });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    }),
  );
  const answeredMs = performance.now() - t0;
  await d.settled();
  const placed = agents.reduce((s, a) => s + a.started.length, 0);
  const seconds = (performance.now() - t0) / 1000;
  for (const a of agents) await a.close();
  await gh.close();
  return { jobs: n, placed, answeredAllMs: Math.round(answeredMs), seconds: Number(seconds.toFixed(1)), mintsPerMinute: Number(((placed / seconds) * 60).toFixed(0)), rateLimited403or429: (statuses.get(403) ?? 0) + (statuses.get(429) ?? 0) };
}

/** Peak RSS (VmHWM) and current RSS of a process, in MB. */
function memoryOf(pid: number): { hwmMb: number; rssMb: number } {
  return { hwmMb: Math.round(procMemoryMb(pid, 'VmHWM')), rssMb: Math.round(procMemoryMb(pid, 'VmRSS')) };
}

/**
 * 4. The dispatcher process at fleet scale: 100 hosts (the agent's real HTTP app over stub services,
 * 2 slots each, no slot-free callbacks, so reconcile passes run at the busy pace) and a backlog of
 * 10,000 queued jobs delivered as signed webhooks by the fake GitHub: 200 placed, the rest in pending
 * demand (SQLite). Its peak RSS (VmHWM) over the burst and `seconds` of passes after it.
 */
async function backlog(jobs: number, hostCount: number, seconds: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-dispatcher-backlog-'));
  const gh = await startFakeGitHub({ jitKeyBits: 512 });
  const agents = await Promise.all(Array.from({ length: hostCount }, (_, i) => startStubAgentServer({ secret: AGENT_SECRET, slots: 2, hostId: `mini-${i}` })));
  const file = path.join(dir, 'dispatcher.json');
  await writeFile(
    file,
    JSON.stringify({
      github: { apiUrl: gh.url, auth: { token: 'test-token' }, org: 'acme', repos: ['acme/app'] },
      webhook: { secrets: [WEBHOOK_SECRET] },
      pools: [{ name: 'macos', labels: ['macOS'], image: 'img', hosts: agents.map((a) => ({ url: a.url, secret: AGENT_SECRET })) }],
      demand: { sqlitePath: path.join(dir, 'pending-demand.sqlite') },
      listen: { port: 0 },
    }),
  );
  // As deployed: the templates' NODE_OPTIONS (a small heap).
  const nodeOptions = deployedNodeOptions(root);
  const proc = startProc(process.execPath, [path.join(root, 'build/dispatcher/tartfleet-dispatcher.mjs'), 'serve', '--config', file], { env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions } });
  try {
    const url = (JSON.parse((await proc.waitForLine(/"msg":"listening"/, 30_000)).input) as { url: string }).url;
    const pid = proc.child.pid as number;
    const idle = memoryOf(pid);
    gh.addWebhook({ org: 'acme', url: `${url}/webhook`, secret: WEBHOOK_SECRET });
    const t0 = performance.now();
    for (let first = 0; first < jobs; first += 100) {
      gh.enqueueRun({ jobs: Array.from({ length: Math.min(100, jobs - first) }, (_, i) => ({ name: `j${first + i}`, labels: ['self-hosted', 'macOS'] })) });
    }
    const pending = async () => Number(/dispatcher_pending_demand\{pool="macos"\} (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
    const placed = () => agents.reduce((sum, a) => sum + a.started.length, 0);
    const want = jobs - hostCount * 2;
    while ((await pending()) < want && performance.now() - t0 < 300_000) await sleep(250);
    const burstS = (performance.now() - t0) / 1000;
    await sleep(seconds * 1000);
    const after = memoryOf(pid);
    // The JavaScript heap in use, from the dispatcher's own metrics: what RSS holds beyond it is the
    // runtime, SQLite and memory V8 has not returned yet.
    const heapUsedMb = Math.round(Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? NaN) / 1024 / 1024);
    return { hosts: hostCount, jobs, nodeOptions, placed: placed(), pendingDemand: await pending(), burstSeconds: Number(burstS.toFixed(1)), idleRssMb: idle.rssMb, rssMb: after.rssMb, peakRssMb: after.hwmMb, heapUsedMb };
  } finally {
    await proc.stop(5_000);
    for (const a of agents) await a.close();
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const results = {
  latency: only && only !== 'latency' ? undefined : await latency(option('latency-jobs', size(200, 5))),
  throughput: only && only !== 'throughput' ? undefined : await throughput(option('seconds', size(10, 1))),
  burst: only && only !== 'burst' ? undefined : await burst(option('burst', size(200, 8))),
  backlog: only && only !== 'backlog' ? undefined : await backlog(option('backlog-jobs', size(10_000, 60)), option('backlog-hosts', size(100, 5)), option('backlog-seconds', size(20, 2))),
};
const rows: [string, string, string][] = [];
if (results.latency) {
  rows.push(['webhook → agent accepted p50 / p99', `${results.latency.p50Ms.toFixed(1)} / ${results.latency.p99Ms.toFixed(1)} ms (${results.latency.placed}/${results.latency.jobs} placed)`, 'p99 ≤ 50 ms']);
  rows.push(['  of which outside GitHub calls', `${results.latency.ownP50Ms.toFixed(1)} / ${results.latency.ownP99Ms.toFixed(1)} ms`, 'p99 ≤ 50 ms']);
  rows.push(['  mean mint / placement', `${results.latency.mintMeanMs} / ${results.latency.placementMeanMs} ms`, '']);
}
if (results.throughput) {
  rows.push(['signed webhooks answered', `${Math.round(results.throughput.requestsPerSecond)}/s, p99 ${results.throughput.p99Ms.toFixed(1)} ms, non-2xx ${results.throughput.non2xx}`, '≥ 1,000/s']);
  rows.push(['dispatcher RSS under load (max)', `${results.throughput.rssMaxMb} MB`, '≤ 120 MB']);
}
if (results.burst) {
  rows.push([`${results.burst.jobs}-job burst`, `${results.burst.placed}/${results.burst.jobs} placed in ${results.burst.seconds} s (${results.burst.mintsPerMinute}/min), 403/429: ${results.burst.rateLimited403or429}`, 'no 403/429 storm']);
}
if (results.backlog) {
  const b = results.backlog;
  rows.push([`dispatcher at ${b.hosts} hosts, ${b.jobs} queued`, `peak RSS ${b.peakRssMb} MB (idle ${b.idleRssMb} MB, ${b.rssMb} MB after, heap in use ${b.heapUsedMb} MB); ${b.placed} placed, ${b.pendingDemand} pending after ${b.burstSeconds} s`, 'peak ≤ 150 MB']);
}
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  (target ${c})`);
if (!only) writeFileSync(resultsFile('dispatcher.json'), JSON.stringify({ date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, loadAverage: (await import('node:os')).loadavg(), results }, null, 2) + '\n');
process.exit(0);
