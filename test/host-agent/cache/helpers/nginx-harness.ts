/**
 * Runs the real nginx (Debian's /usr/sbin/nginx) on a generated config, in the foreground, on a
 * random loopback address and port, with every path inside a private temp directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cacheConfigSchema, type CacheConfig, type CacheConfigInput } from '../../../../host-agent/src/cache/cache-config-schema';
import { HEALTH_PATH, renderNginxConfig } from '../../../../host-agent/src/cache/render-nginx-config';
import { killGroup } from '../../../helpers/kill-group';
import { procStatFields } from '../../../sim/src/proc-stat';

export const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

/** A random address in 127.0.0.0/8, so parallel suites do not compete for ports. */
export function loopbackHost(): string {
  const byte = (): number => 1 + Math.floor(Math.random() * 253);
  return `127.${byte()}.${byte()}.${byte()}`;
}

/** A port that was free on `host` a moment ago. nginx cannot be told to pick one and report it. */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A private directory nginx's unprivileged workers (nobody, when the tests run as root) can enter. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Paths and addresses of a test mirror, to spread over a config. */
export function testPaths(dir: string, host: string, port: number): CacheConfigInput {
  return {
    listen: [{ address: host, port }],
    clients: ['127.0.0.0/8'],
    cacheDir: path.join(dir, 'cache'),
    accessLog: path.join(dir, 'access.log'),
    errorLog: path.join(dir, 'error.log'),
    pidFile: path.join(dir, 'nginx.pid'),
    workerProcesses: 1,
    // The default 20g would let a nearly full CI disk evict test objects mid-test.
    minFree: '1k',
    // Upstreams here are plain http or carry their own test CA (see the TLS test).
    tls: { verify: false },
  };
}

/** `nginx -t` on a config file; `ok` plus what nginx printed. */
export function nginxTest(confFile: string, prefixDir: string): { ok: boolean; output: string } {
  const r = spawnSync(NGINX, ['-t', '-p', prefixDir, '-c', confFile], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export interface Mirror {
  /** `http://127.x.y.z:port` */
  baseUrl: string;
  dir: string;
  config: CacheConfig;
  confFile: string;
  accessLog: string;
  /** Resident set size, in bytes, of the nginx master and workers together. */
  rssBytes(): number;
  stop(): Promise<void>;
}

function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(procStatFields(entry)?.[1]) === pid)
    .map(Number);
}

async function waitHealthy(url: string, child: ChildProcess, stderr: () => string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before serving ${url}: ${stderr()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nginx did not answer ${url} within ${deadlineMs} ms: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Generates a config from `input` (test paths filled in) and runs nginx on it until `stop()`.
 * Without `dir`, a temp dir is made and `stop()` removes it. */
export async function startMirror(input: CacheConfigInput, options: { dir?: string } = {}): Promise<Mirror> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? makeTempDir('tf-mirror-');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const host = loopbackHost();
    const port = await freePort(host);
    const config = cacheConfigSchema.parse({ ...testPaths(dir, host, port), ...input });
    const confFile = path.join(dir, 'nginx.conf');
    writeFileSync(confFile, renderNginxConfig(config));
    // Own process group: stop() signals master and workers together, even if the master dies first.
    const child = spawn(NGINX, ['-p', dir, '-c', confFile, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('nginx did not start (no pid)');
    const signalGroup = (signal: NodeJS.Signals): void => {
      killGroup(child, signal);
    };
    const onExit = (): void => signalGroup('SIGKILL');
    process.once('exit', onExit);
    const stop = async (): Promise<void> => {
      process.removeListener('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      signalGroup('SIGKILL');
    };
    // The first listen address, or (for a wildcard listen) this attempt's loopback host on its port.
    const first = config.listen[0];
    const reach = first === undefined || first.address === '0.0.0.0' ? host : first.address;
    const baseUrl = `http://${reach}:${first?.port ?? port}`;
    try {
      await waitHealthy(`${baseUrl}${HEALTH_PATH}`, child, () => stderr + readErrorLog(config.errorLog), 20_000);
    } catch (error: unknown) {
      await stop();
      lastError = error;
      if (/Address already in use/.test(String(error))) continue;
      throw error;
    }
    return {
      baseUrl,
      dir,
      config,
      confFile,
      accessLog: config.accessLog,
      rssBytes: () => [pid, ...childrenOf(pid)].reduce((sum, p) => sum + rssOf(p), 0),
      stop: async () => {
        await stop();
        if (ownDir) removeDir(dir);
      },
    };
  }
  if (ownDir) removeDir(dir);
  throw lastError;
}

function readErrorLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/** Removes a temp dir made by makeTempDir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
