/**
 * Benchmark: signed `GET /v1/host` requests per second on loopback (target ≥ 2,000/s, issue 4).
 * Every request is signed afresh (timestamp, nonce, HMAC) exactly as the dispatcher's client does,
 * and the agent verifies it, checks the replay cache and records metrics, so this measures the real
 * per-request cost. Prints a table and writes bench/results/agent-http-host.json.
 *
 * Run: npm run bench:agent-http -- [--seconds 10] [--connections 16]
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequestSigner } from '../core/agent-api/auth';
import { nodeSigningCrypto } from '../host-agent/src/middleware/node-signing-crypto';
import { resultsFile, size } from './bench-env';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number, got '${process.argv[i + 1]}'`);
  return v;
}

const seconds = option('seconds', size(10, 1));
const connections = option('connections', 16);
const secret = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
const serverBundle = path.join(path.dirname(process.argv[1] ?? '.'), 'agent-http-host-server.mjs');

const server = spawn(process.execPath, [serverBundle], { env: { ...process.env, BENCH_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] });
let startTimer: NodeJS.Timeout | undefined;
const baseUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('\n')) resolve(out.trim());
  });
  server.once('exit', (code) => reject(new Error(`bench server exited with ${code} before listening`)));
  startTimer = setTimeout(() => reject(new Error('bench server did not print its URL within 30 s')), 30_000);
}).finally(() => clearTimeout(startTimer));

const { hostname, port } = new URL(baseUrl);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
// The load generator signs with node:crypto so its own cost stays small next to the agent's.
const signer = createRequestSigner(secret, nodeSigningCrypto);
const latencies: number[] = [];
const statuses = new Map<number, number>();

async function once(): Promise<void> {
  const headers = await signer.sign({ hostId: 'bench', method: 'GET', path: '/v1/host', body: '' });
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: hostname, port, path: '/v1/host', method: 'GET', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        latencies.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function worker(until: number): Promise<void> {
  while (performance.now() < until) await once();
}

try {
  await Promise.all(Array.from({ length: connections }, () => worker(performance.now() + 1000))); // warm-up
  latencies.length = 0;
  statuses.clear();
  const start = performance.now();
  await Promise.all(Array.from({ length: connections }, () => worker(start + seconds * 1000)));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const result = {
    benchmark: 'agent GET /v1/host, signed, loopback',
    seconds: Number(elapsed.toFixed(2)),
    connections,
    requests: latencies.length,
    requestsPerSecond: Math.round(latencies.length / elapsed),
    latencyMs: { p50: Number(pct(50).toFixed(2)), p95: Number(pct(95).toFixed(2)), p99: Number(pct(99).toFixed(2)) },
    statuses: Object.fromEntries(statuses),
    target: 2000,
  };
  console.log('metric                 value');
  console.log(`requests/s             ${result.requestsPerSecond} (target >= ${result.target})`);
  console.log(`requests               ${result.requests} in ${result.seconds} s, ${connections} connections`);
  console.log(`latency p50/p95/p99    ${result.latencyMs.p50} / ${result.latencyMs.p95} / ${result.latencyMs.p99} ms`);
  console.log(`statuses               ${JSON.stringify(result.statuses)}`);
  writeFileSync(resultsFile('agent-http-host.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (statuses.size !== 1 || !statuses.has(200)) process.exitCode = 1;
} finally {
  agent.destroy();
  server.kill('SIGTERM');
}
