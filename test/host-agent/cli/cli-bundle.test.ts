import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient } from '../../../core/agent-api/client';
import { simHostKeyFingerprint } from '../../helpers/sim-env';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
const TART = path.join(root, 'test/sim/bin/tart');
const SECRET = 'bundle-test-secret'.padEnd(48, '7');

/** The real `tartfleet-agent` executable (the bundle `npm run build` makes), run as a process. */
describe('tartfleet-agent bundle as a process', () => {
  let dir: string;
  let home: string;
  let bundle: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-bundle-'));
    home = mkdtempSync(path.join(tmpdir(), 'tf-bundle-home-'));
    // Built by the test run's global setup (scripts/build.mjs agent), as `npm run build` builds it.
    bundle = path.join(root, 'build/host-agent/tartfleet-agent.mjs');
    await exec(TART, ['create', 'tahoe-base', '--from-ipsw', 'latest', '--disk-size', '1'], { env: { ...process.env, TART_HOME: home }, timeout: 60_000 });
  }, 180_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('prints the package version', async () => {
    const { stdout } = await exec(process.execPath, [bundle, '--version']);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toBe(`${pkg.version}\n`);
  });

  it('serve: JSON logs without the secret, signed API, SIGTERM drains and exits 0', async () => {
    const config = path.join(dir, 'agent.yaml');
    writeFileSync(config, `hostId: bundle-e2e\nstateDir: ${dir}/state\nlisten: { host: 127.0.0.1, port: 0 }\npools:\n  - name: macos\n    image: tahoe-base\n    labels: [macos]\nssh: { hostKeyFingerprint: "${simHostKeyFingerprint(home, 'tahoe-base')}" }\n`);
    const child = spawn(process.execPath, [bundle, 'serve', '--config', config], {
      env: { ...process.env, TARTFLEET_AGENT_SECRET: SECRET, TART_BIN: TART, TART_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    while (url === undefined) {
      const line = out.split('\n').find((l) => l.includes('"agent listening"'));
      if (line) url = (JSON.parse(line) as { url: string }).url;
      else if (Date.now() > deadline || child.exitCode !== null) throw new Error(`agent did not start listening: ${out}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    const host = await createAgentClient({ baseUrl: url, secret: SECRET, timeoutMs: 30_000 }).host();
    expect(host.id).toBe('bundle-e2e');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['starting tartfleet-agent', 'agent listening', 'stop requested: refusing new connections and draining', 'drained; exiting']));
    expect(lines.every((l) => typeof l.level === 'string' && typeof l.time === 'string')).toBe(true);
    expect(out).not.toContain(SECRET);
  }, 120_000);

  it('cache-config prints the default mirror config, the one checked in under deploy/nginx', async () => {
    const { stdout } = await exec(process.execPath, [bundle, 'cache-config']);
    expect(stdout).toBe(readFileSync(path.join(root, 'deploy/nginx/tartfleet-mirror.conf'), 'utf8'));
  });

  it('a bad config exits 78 with every problem on stderr', async () => {
    const result = await exec(process.execPath, [bundle, 'serve'], { env: { ...process.env, TARTFLEET_AGENT_SECRET: '', TARTFLEET_AGENT_PORT: 'x' } }).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 78 });
    expect((result as { stderr: string }).stderr).toMatch(/TARTFLEET_AGENT_PORT: expected a whole number, got 'x'[\s\S]*secrets: set TARTFLEET_AGENT_SECRET[\s\S]*stateDir: /);
  });
});
