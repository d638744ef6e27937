import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from './src/cli';
import { createControlClient } from './src';
import { killAllRunners, startRunner } from './helpers/runner-process';
import { waitFor } from './helpers/wait-for';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'bin/fake-github');
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await killAllRunners();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fake-github CLI', () => {
  it('parses its arguments and names bad ones', () => {
    expect(parseCliArgs(['--port', '8080', '--state', 'seed.json'])).toEqual({ port: 8080, host: '127.0.0.1', statePath: 'seed.json' });
    expect(() => parseCliArgs(['--port', 'x'])).toThrow("--port must be an integer 0-65535, got 'x'");
    expect(() => parseCliArgs(['--nope'])).toThrow("unknown argument '--nope'");
  });

  it('serves a seeded fake on a free port; the control API drives jobs for a runner stand-in', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fgh-cli-'));
    const seed = path.join(dir, 'seed.json');
    writeFileSync(seed, JSON.stringify({ orgs: ['globex'], repos: ['globex/site'], tokens: ['seed-token'], jitKeyBits: 1024 }));
    child = spawn(BIN, ['--port', '0', '--state', seed], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    const url = await waitFor('listening line', () => /fake-github listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 30_000);

    const jit = await fetch(`${url}/repos/globex/site/actions/runners/generate-jitconfig`, {
      method: 'POST', headers: { authorization: 'Bearer seed-token' }, body: JSON.stringify({ name: 'cli-runner', runner_group_id: 1, labels: ['self-hosted', 'macOS'] }),
    });
    expect(jit.status).toBe(201);
    expect((await fetch(`${url}/orgs/acme/actions/runners`, { headers: { authorization: 'Bearer seed-token' } })).status).toBe(404);
    const { encoded_jit_config: config } = (await jit.json()) as { encoded_jit_config: string };

    const control = createControlClient(url);
    const { jobIds } = await control.enqueueRun({ repo: 'globex/site', jobs: [{ name: 'via-control', labels: ['self-hosted', 'MACOS'], durationMs: 100 }] });
    await expect(control.enqueueRun({ repo: 'nope/nope', jobs: [] })).rejects.toThrow(/expected 2xx, got 400 .*unknown repo 'nope\/nope'/);
    const proc = startRunner(config, { home: dir });
    expect(await proc.exited).toBe(0);
    expect(await control.job(jobIds[0] ?? 0)).toMatchObject({ status: 'completed', conclusion: 'success', runnerName: 'cli-runner' });
    expect(await control.job(999_999)).toBeUndefined();

    const kept = await fetch(`${url}/repos/globex/site/actions/runners/generate-jitconfig`, {
      method: 'POST', headers: { authorization: 'Bearer seed-token' }, body: JSON.stringify({ name: 'kept', runner_group_id: 1, labels: ['self-hosted'] }),
    });
    expect(kept.status).toBe(201);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The state file now carries a snapshot (and never the JIT config); a restart picks it up.
    const written = readFileSync(seed, 'utf8');
    expect(written).toContain('"snapshot"');
    expect(written).not.toContain(config.slice(0, 40));

    child = spawn(BIN, ['--port', '0', '--state', seed], { stdio: ['ignore', 'pipe', 'pipe'] });
    out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    const url2 = await waitFor('listening again', () => /fake-github listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 30_000);
    const again = (await (await fetch(`${url2}/_control/jobs/${jobIds[0]}`)).json()) as { status: string; runnerName: string };
    expect(again).toMatchObject({ status: 'completed', runnerName: 'cli-runner' });
    const runners = (await (await fetch(`${url2}/repos/globex/site/actions/runners`, { headers: { authorization: 'Bearer seed-token' } })).json()) as { runners: Array<{ name: string; status: string }> };
    expect(runners.runners.map((r) => [r.name, r.status])).toEqual([['kept', 'offline']]);
  });
});
