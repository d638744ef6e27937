/**
 * Cache mirror benchmark (issue 8), with the real nginx on loopback:
 *  1. a 50 MB object fetched the second time through the mirror (a hit, from the cache file) vs
 *     directly from a local upstream that holds it in memory — median of several runs;
 *  2. upstream requests saved over 20 simulated jobs, two at a time like a host's two VM slots, each
 *     installing the same 30 npm-like packages (document + tarball) plus two packages of its own.
 * Prints a table and writes bench/results/cache-mirror.json. Run: npm run bench:cache
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { loopbackHost, startMirror } from '../test/host-agent/cache/helpers/nginx-harness';
import { startUpstream } from '../test/host-agent/cache/helpers/upstream-server';
import { resultsFile, size } from './bench-env';

const RUNS = Number(process.env.BENCH_RUNS ?? size(7, 1));
const BIG_MB = size(50, 1);
const BIG = BIG_MB * 1024 * 1024;
const JOBS = size(20, 4);
const SLOTS = 2;
const SHARED_PACKAGES = 30;

/** GET, discarding the body; resolves to [milliseconds to the last byte, bytes, X-Cache-Status]. */
function timedGet(url: string, headers: Record<string, string> = {}): Promise<{ ms: number; bytes: number; cache: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${url}: expected 200, got ${res.statusCode}`));
          else resolve({ ms: performance.now() - started, bytes, cache: String(res.headers['x-cache-status'] ?? '-') });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** A local origin in its own process holding the 50 MB body in memory, so the direct baseline is as
 * fast as an upstream can be and does not share the client's event loop. */
async function startMemoryOrigin(host: string): Promise<{ url: string; stop(): void }> {
  const script = `
    const http = require('node:http');
    const body = Buffer.alloc(${BIG}, 7);
    const server = http.createServer((req, res) => { res.writeHead(200, { 'content-length': String(body.length) }); res.end(body); });
    server.listen(0, process.argv[1], () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', script, host], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`origin exited with ${code}`)));
  });
  return { url: `http://${host}:${port}`, stop: () => child.kill('SIGKILL') };
}

async function bigObject(): Promise<Record<string, number>> {
  const origin = await startMemoryOrigin(loopbackHost());
  const mirror = await startMirror({ prefixes: [{ name: 'big', url: origin.url, ttl: '1h' }] });
  try {
    const miss = await timedGet(`${mirror.baseUrl}/big/object.bin`);
    if (miss.cache !== 'MISS' || miss.bytes !== BIG) throw new Error(`first fetch: expected a ${BIG_MB} MB MISS, got ${miss.bytes} bytes ${miss.cache}`);
    const direct: number[] = [];
    const hit: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      direct.push((await timedGet(`${origin.url}/object.bin`)).ms);
      const h = await timedGet(`${mirror.baseUrl}/big/object.bin`);
      if (h.cache !== 'HIT') throw new Error(`run ${i}: expected HIT, got ${h.cache}`);
      hit.push(h.ms);
    }
    return { runs: RUNS, missMs: miss.ms, directMedianMs: median(direct), hitMedianMs: median(hit) };
  } finally {
    await mirror.stop();
    origin.stop();
  }
}

async function sharedJobs(): Promise<Record<string, number>> {
  const upstream = await startUpstream({ host: loopbackHost() });
  const mirror = await startMirror({ upstreams: [{ kind: 'npm', url: upstream.url }] });
  const pkg = (name: string): void => {
    upstream.objects.set(`/${name}`, { body: JSON.stringify({ name, versions: { '1.0.0': { dist: { tarball: `/${name}/-/${name}-1.0.0.tgz` } } } }), headers: { 'content-type': 'application/json' } });
    // Tarballs of 20-400 KB, like typical npm packages.
    upstream.objects.set(`/${name}/-/${name}-1.0.0.tgz`, { body: Buffer.alloc(20_000 + ((name.length * 7919) % 380_000), 1) });
  };
  const shared = Array.from({ length: SHARED_PACKAGES }, (_, i) => `shared-${i}`);
  shared.forEach(pkg);
  try {
    let clientRequests = 0;
    const jobMs: number[] = [];
    const runJob = async (job: number): Promise<void> => {
      const own = [`job${job}-a`, `job${job}-b`];
      own.forEach(pkg);
      const started = performance.now();
      // npm resolves documents, then fetches tarballs, several at a time.
      for (const phase of [(n: string) => `/npm/${n}`, (n: string) => `/npm/${n}/-/${n}-1.0.0.tgz`]) {
        const names = [...shared, ...own];
        for (let i = 0; i < names.length; i += 8) {
          await Promise.all(names.slice(i, i + 8).map((n) => timedGet(`${mirror.baseUrl}${phase(n)}`, { accept: 'application/vnd.npm.install-v1+json' })));
          clientRequests += Math.min(8, names.length - i);
        }
      }
      jobMs.push(performance.now() - started);
    };
    for (let job = 0; job < JOBS; job += SLOTS) await Promise.all(Array.from({ length: SLOTS }, (_, s) => runJob(job + s)));
    const upstreamRequests = upstream.seen.length;
    return {
      jobs: JOBS,
      clientRequests,
      upstreamRequests,
      upstreamRequestsWithoutMirror: clientRequests,
      saved: clientRequests - upstreamRequests,
      savedPercent: (100 * (clientRequests - upstreamRequests)) / clientRequests,
      firstJobsMedianMs: median(jobMs.slice(0, SLOTS)),
      laterJobsMedianMs: median(jobMs.slice(SLOTS)),
    };
  } finally {
    await mirror.stop();
    await upstream.close();
  }
}

const big = await bigObject();
const jobs = await sharedJobs();
const rows: [string, string][] = [
  [`${BIG_MB} MB, direct from local upstream (median)`, `${big.directMedianMs?.toFixed(1)} ms`],
  [`${BIG_MB} MB, first fetch through mirror (MISS)`, `${big.missMs?.toFixed(1)} ms`],
  [`${BIG_MB} MB, second fetch through mirror (HIT, median)`, `${big.hitMedianMs?.toFixed(1)} ms`],
  ['hit / direct', `${((big.hitMedianMs ?? 0) / (big.directMedianMs ?? 1)).toFixed(2)}×`],
  [`${JOBS} jobs × ${SHARED_PACKAGES + 2} packages: client requests`, String(jobs.clientRequests)],
  ['  requests that reached the upstream', String(jobs.upstreamRequests)],
  ['  upstream requests saved', `${jobs.saved} (${jobs.savedPercent?.toFixed(1)}%)`],
  ['  job time, first two jobs (cold, median)', `${jobs.firstJobsMedianMs?.toFixed(1)} ms`],
  ['  job time, later jobs (warm, median)', `${jobs.laterJobsMedianMs?.toFixed(1)} ms`],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`cache mirror benchmark (nginx on loopback, ${RUNS} runs)`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
writeFileSync(resultsFile('cache-mirror.json'), `${JSON.stringify({ date: new Date().toISOString(), bigObject: big, sharedJobs: jobs }, null, 2)}\n`);
