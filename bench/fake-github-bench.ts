// Benchmark of the fake GitHub: REST requests/s on loopback and N runners connected at once.
// The fake runs as its own process (the CLI bundle) so the load generator does not share its CPU.
// Run: npm run bench:fake-github -- [--seconds 10] [--concurrency 32] [--runners 500]
import { spawn } from 'node:child_process';
import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { quick, resultsFile, size } from './bench-env';

interface Args { seconds: number; concurrency: number; runners: number; bin: string; out: string }

function parseArgs(argv: string[]): Args {
  const get = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const str = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const root = process.env.TARTFLEET_ROOT ?? process.cwd();
  return { seconds: get('--seconds', size(10, 1)), concurrency: get('--concurrency', size(32, 4)), runners: get('--runners', size(500, 5)), bin: str('--bin') ?? path.join(root, 'test/fake-github/bin/fake-github'), out: str('--out') ?? resultsFile('fake-github.json') };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, agent, timeout: init.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout ${url}`)));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

const auth = { authorization: 'token bench-token', 'content-type': 'application/json' };

async function startFake(bin: string): Promise<{ url: string; stop(): void; pid: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fgh-bench-'));
  const seed = path.join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ tokens: ['bench-token'], jitKeyBits: 1024, primaryRateLimit: { limit: 1e9 }, pollTimeoutMs: 20_000, runnerOfflineAfterMs: 60_000 }));
  const child = spawn(bin, ['--port', '0', '--state', seed], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`fake-github exited ${code} before listening`)));
  });
  return { url, stop: () => child.kill('SIGTERM'), pid: child.pid ?? 0 };
}

async function restThroughput(url: string, seconds: number, concurrency: number): Promise<{ requests: number; rps: number; errors: number; p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) {
    await request(`${url}/orgs/acme/actions/runners/generate-jitconfig`, { method: 'POST', headers: auth, body: JSON.stringify({ name: `idle-${i}`, runner_group_id: 1, labels: ['self-hosted'] }) });
  }
  const run = JSON.parse((await request(`${url}/_control/runs`, { method: 'POST', body: JSON.stringify({ jobs: [{ name: 'a', labels: ['nobody'] }, { name: 'b', labels: ['nobody'] }] }) })).body) as { runId: number; jobIds: number[] };
  const paths = [
    '/orgs/acme/actions/runners?per_page=100',
    `/repos/acme/app/actions/jobs/${run.jobIds[0]}`,
    `/repos/acme/app/actions/runs/${run.runId}/jobs`,
    '/orgs/acme/actions/runners?name=idle-3',
    '/orgs/acme/actions/runner-groups',
  ];
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      const t = performance.now();
      const res = await request(`${url}${paths[n++ % paths.length]}`, { headers: auth });
      latencies.push(performance.now() - t);
      if (res.status !== 200) errors++;
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => Number((latencies[Math.floor(p * (latencies.length - 1))] ?? 0).toFixed(2));
  return { requests: latencies.length, rps: Math.round(latencies.length / elapsed), errors, p50: q(0.5), p99: q(0.99) };
}

/** The runner protocol client side, as the stand-in does it (assertion → token → session → long poll). */
async function connectRunner(encoded: string): Promise<{ base: string; headers: Record<string, string>; sessionId: string }> {
  const files = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Record<string, string>;
  const file = <T>(k: string): T => JSON.parse(Buffer.from(files[k] ?? '', 'base64').toString('utf8')) as T;
  const settings = file<{ serverUrl: string }>('.runner');
  const creds = file<{ data: { clientId: string; authorizationUrl: string } }>('.credentials');
  const rsa = file<Record<string, string>>('.credentials_rsaparams');
  const u = (v: string | undefined): string => Buffer.from(v ?? '', 'base64').toString('base64url');
  const key = createPrivateKey({ format: 'jwk', key: { kty: 'RSA', n: u(rsa.modulus), e: u(rsa.exponent), d: u(rsa.d), p: u(rsa.p), q: u(rsa.q), dp: u(rsa.dp), dq: u(rsa.dq), qi: u(rsa.inverseQ) } });
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256' })}.${enc({ sub: creds.data.clientId, aud: creds.data.authorizationUrl, jti: randomUUID(), iat: now, exp: now + 300 })}`;
  const assertion = `${body}.${createSign('RSA-SHA256').update(body).sign(key).toString('base64url')}`;
  const tok = await request(creds.data.authorizationUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_assertion: assertion }).toString() });
  const headers = { authorization: `Bearer ${(JSON.parse(tok.body) as { access_token: string }).access_token}`, 'content-type': 'application/json' };
  const base = settings.serverUrl.replace(/\/+$/, '');
  const session = JSON.parse((await request(`${base}/sessions`, { method: 'POST', headers, body: '{}' })).body) as { sessionId: string };
  return { base, headers, sessionId: session.sessionId };
}

async function connectedRunners(url: string, count: number): Promise<{ runners: number; mintSeconds: number; connectSeconds: number; onlineAtOnce: number; jobsCompleted: number; assignAndCompleteSeconds: number }> {
  const t0 = Date.now();
  const configs: string[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, k) => request(`${url}/orgs/acme/actions/runners/generate-jitconfig`, { method: 'POST', headers: auth, body: JSON.stringify({ name: `bench-${i + k}`, runner_group_id: 1, labels: ['self-hosted', 'bench'] }) })));
    for (const r of batch) configs.push((JSON.parse(r.body) as { encoded_jit_config: string }).encoded_jit_config);
  }
  const t1 = Date.now();
  const runners = [];
  for (let i = 0; i < configs.length; i += 50) runners.push(...(await Promise.all(configs.slice(i, i + 50).map(connectRunner))));
  const t2 = Date.now();
  // Every runner long-polls for one job, reports it complete, and stops.
  const done = runners.map(async (r) => {
    for (;;) {
      const res = await request(`${r.base}/sessions/${r.sessionId}/message`, { headers: r.headers });
      if (res.status === 202) continue;
      const job = JSON.parse((JSON.parse(res.body) as { body: string }).body) as { jobId: number };
      await request(`${r.base}/jobs/${job.jobId}/complete`, { method: 'POST', headers: r.headers, body: JSON.stringify({ result: 'Succeeded' }) });
      return;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const list = JSON.parse((await request(`${url}/orgs/acme/actions/runners?per_page=100&page=1`, { headers: auth })).body) as { total_count: number };
  let online = 0;
  for (let page = 1; page <= Math.ceil(list.total_count / 100); page++) {
    const body = JSON.parse((await request(`${url}/orgs/acme/actions/runners?per_page=100&page=${page}`, { headers: auth })).body) as { runners: Array<{ status: string; name: string }> };
    online += body.runners.filter((r) => r.status === 'online' && r.name.startsWith('bench-')).length;
  }
  const t3 = Date.now();
  await request(`${url}/_control/runs`, { method: 'POST', body: JSON.stringify({ jobs: Array.from({ length: count }, (_, i) => ({ name: `j${i}`, labels: ['bench'], durationMs: 0 })) }) });
  await Promise.all(done);
  const t4 = Date.now();
  const jobs = JSON.parse((await request(`${url}/_control/jobs`)).body) as Array<{ status: string; labels: string[] }>;
  return {
    runners: count,
    mintSeconds: (t1 - t0) / 1000,
    connectSeconds: (t2 - t1) / 1000,
    onlineAtOnce: online,
    jobsCompleted: jobs.filter((j) => j.labels.includes('bench') && j.status === 'completed').length,
    assignAndCompleteSeconds: (t4 - t3) / 1000,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fake = await startFake(args.bin);
  try {
    const rest = await restThroughput(fake.url, args.seconds, args.concurrency);
    const runners = await connectedRunners(fake.url, args.runners);
    const result = { date: new Date().toISOString(), cpus: os.cpus().length, concurrency: args.concurrency, seconds: args.seconds, rest, runners };
    console.table({
      'REST req/s': rest.rps, 'REST p50 ms': rest.p50, 'REST p99 ms': rest.p99, 'REST errors': rest.errors,
      'runners minted (s)': runners.mintSeconds, 'runners connected (s)': runners.connectSeconds,
      'online at once': runners.onlineAtOnce, 'jobs completed': runners.jobsCompleted, 'assign+complete (s)': runners.assignAndCompleteSeconds,
    });
    mkdirSync(path.dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${args.out}`);
    // BENCH_QUICK only shows the benchmark runs: the throughput target is not enforced there.
    const ok = (quick || rest.rps >= 2000) && runners.onlineAtOnce >= args.runners && runners.jobsCompleted === args.runners;
    console.log(ok ? 'PASS: >= 2000 REST req/s and all runners connected at once' : 'BELOW TARGET');
    process.exitCode = ok ? 0 : 1;
  } finally {
    fake.stop();
    agent.destroy();
  }
}

await main();
