import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient } from '../../../core/agent-api/client';
import { runCli } from '../../../host-agent/src/cli/run-cli';
import { cliDeps } from '../../helpers/cli-helpers';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { simHostKeyFingerprint } from '../../helpers/sim-env';

const exec = promisify(execFile);
const TART = path.resolve(__dirname, '../../sim/bin/tart');
const SECRET = 'serve-runtime-secret'.padEnd(48, '0');
const ADMIN_SECRET = 'serve-runtime-admin'.padEnd(48, '1');

describe('tartfleet-agent serve with the real runtime on the tart simulator', () => {
  let home: string;
  let dir: string;
  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'tf-serve-home-'));
    dir = mkdtempSync(path.join(tmpdir(), 'tf-serve-'));
    await exec(TART, ['create', 'tahoe-base', '--from-ipsw', 'latest', '--disk-size', '1'], { env: { ...process.env, TART_HOME: home }, timeout: 60_000 });
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the config, answers signed requests with the real service, and exits 0 on SIGTERM', async () => {
    const config = path.join(dir, 'agent.yaml');
    writeFileSync(config, `hostId: serve-e2e\nstateDir: ${dir}/state\nlisten: { host: 127.0.0.1, port: 0 }\npools:\n  - name: macos\n    image: tahoe-base\n    labels: [macos]\nssh: { hostKeyFingerprint: "${simHostKeyFingerprint(home, 'tahoe-base')}" }\n`);
    let stop: (s: string) => void = () => {};
    let onUrl: (u: string) => void = () => {};
    const listening = new Promise<string>((r) => (onUrl = r));
    const run = cliDeps(
      { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_ADMIN_SECRET: ADMIN_SECRET, TART_BIN: TART, TART_HOME: home },
      { stopRequested: () => new Promise<string>((r) => (stop = r)), onListening: onUrl },
    );
    const exit = runCli(['serve', '--config', config], run.deps);
    const url = await Promise.race([listening, exit.then((code) => Promise.reject(new Error(`serve exited ${code}: ${run.stderr()}`)))]);

    const client = createAgentClient({ baseUrl: url, secret: SECRET, timeoutMs: 30_000 });
    const host = await client.host();
    expect(host).toMatchObject({ id: 'serve-e2e', slots: { total: 2, busy: 0 }, draining: false });
    expect(host.pools.map((p) => p.name)).toEqual(['macos']);
    expect(await client.listRunners()).toEqual([]);
    await expect(client.drain()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    expect((await createAgentClient({ baseUrl: url, secret: ADMIN_SECRET, timeoutMs: 30_000 }).drain()).draining).toBe(true);
    await expect(client.startRunner({ name: 'tf-macos-e2e1', pool: 'macos', labels: ['macos'], jitConfig: 'QUJDRA==' })).rejects.toMatchObject({ status: 503, code: 'draining' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('runner_slots{state="free"}');
    const promtool = await new Promise<string>((resolve, reject) => {
      const child = execFile('promtool', ['check', 'metrics'], { timeout: 30_000 }, (error, stdout, stderr) =>
        error && typeof error.code !== 'number' ? reject(error) : resolve(`${stdout}${stderr}${error ? ` exit ${String(error.code)}` : ''}`),
      );
      child.stdin?.end(metrics);
    });
    expect(promtool).toBe('');

    stop('SIGTERM');
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 90_000);

  it.each([
    ['empty', ''],
    ['corrupt', '{"pools":{"macos":{"curr'],
  ])('starts with an %s pool image file: pools use their configured image, the file is moved aside and the log says so', async (what, text) => {
    const state = path.join(dir, `state-${what}`);
    mkdirSync(state, { recursive: true });
    writeFileSync(path.join(state, 'pool-images.json'), text);
    const config = path.join(dir, `agent-${what}.yaml`);
    writeFileSync(config, `hostId: serve-e2e\nstateDir: ${state}\nlisten: { host: 127.0.0.1, port: 0 }\npools:\n  - name: macos\n    image: tahoe-base\n    labels: [macos]\nssh: { hostKeyFingerprint: "${simHostKeyFingerprint(home, 'tahoe-base')}" }\n`);
    let stop: (s: string) => void = () => {};
    let onUrl: (u: string) => void = () => {};
    const listening = new Promise<string>((r) => (onUrl = r));
    const logger = createMemoryLogger();
    const run = cliDeps(
      { TARTFLEET_AGENT_SECRET: SECRET, TART_BIN: TART, TART_HOME: home },
      { stopRequested: () => new Promise<string>((r) => (stop = r)), onListening: onUrl, createLogger: () => logger },
    );
    const exit = runCli(['serve', '--config', config], run.deps);
    const url = await Promise.race([listening, exit.then((code) => Promise.reject(new Error(`serve exited ${code}: ${run.stderr()}`)))]);

    const host = await createAgentClient({ baseUrl: url, secret: SECRET, timeoutMs: 30_000 }).host();
    expect(host.pools).toMatchObject([{ name: 'macos', image: 'tahoe-base' }]);
    expect(readdirSync(state).filter((f) => f.startsWith('pool-images.json.corrupt-'))).toHaveLength(1);
    expect(logger.text()).toContain('pool image state is unreadable: moved aside; every pool starts from its configured image');

    stop('SIGTERM');
    expect(await exit).toBe(0);
  }, 90_000);
});
