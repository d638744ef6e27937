import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type RunningFakeGitHub } from './src';
import { killAllRunners, RUN_SH, startRunner } from './helpers/runner-process';
import { waitFor } from './helpers/wait-for';

let fake: RunningFakeGitHub;
let home: string;

beforeEach(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'fgh-runner-'));
  fake = await startFakeGitHub({ jitKeyBits: 1024, jobLostTimeoutMs: 3000, runnerOfflineAfterMs: 2000, heartbeatIntervalMs: 200 });
});
afterEach(async () => {
  await killAllRunners();
  await fake.close();
  rmSync(home, { recursive: true, force: true });
});

async function mint(name: string, labels = ['self-hosted', 'macOS']): Promise<{ id: number; config: string }> {
  const res = await fetch(`${fake.url}/orgs/acme/actions/runners/generate-jitconfig`, {
    method: 'POST',
    headers: { authorization: 'token test-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name, runner_group_id: 1, labels }),
  });
  const body = (await res.json()) as { runner: { id: number }; encoded_jit_config: string };
  return { id: body.runner.id, config: body.encoded_jit_config };
}

async function runnerStatus(id: number): Promise<{ status: string; busy: boolean } | number> {
  const res = await fetch(`${fake.url}/orgs/acme/actions/runners/${id}`, { headers: { authorization: 'token test-token' } });
  return res.status === 200 ? ((await res.json()) as { status: string; busy: boolean }) : res.status;
}

const TERMINATED = 'Runner listener exit with terminated error, stop the service, no retry needed.\nExiting runner...\n';

const listFiles = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));

describe('runner stand-in (~/actions-runner/run.sh)', () => {
  it('keeps the JIT config out of children, argv and files; offline until connected; removed after its job', async () => {
    const { id, config } = await mint('secret-keeper');
    expect(await runnerStatus(id)).toMatchObject({ status: 'offline', busy: false });
    const script = 'env > "$HOME/child-env.txt"; cat /proc/$PPID/cmdline | tr "\\0" " " > "$HOME/parent-argv.txt"; cat /proc/$PPID/environ | tr "\\0" "\\n" > "$HOME/parent-env.txt"';
    const { jobIds: [jobId] = [] } = fake.enqueueRun({ jobs: [{ name: 'inspect', labels: ['self-hosted'], durationMs: 100, script }] });
    const proc = startRunner(config, { home });
    expect(await proc.exited).toBe(0);
    expect(fake.job(jobId ?? 0)).toMatchObject({ status: 'completed', conclusion: 'success', runnerName: 'secret-keeper' });
    const childEnv = readFileSync(path.join(home, 'child-env.txt'), 'utf8');
    expect(childEnv).toContain(`HOME=${home}`);
    expect(childEnv).not.toContain('ACTIONS_RUNNER_INPUT_JITCONFIG');
    for (const file of listFiles(home)) expect(readFileSync(file, 'utf8'), file).not.toContain(config.slice(0, 40));
    expect(readFileSync(path.join(home, 'parent-argv.txt'), 'utf8')).toMatch(/runner\.mjs/);
    expect(readFileSync(path.join(home, 'parent-env.txt'), 'utf8')).not.toContain('JITCONFIG');
    expect(proc.stdout() + proc.stderr()).not.toContain(config.slice(0, 40));
    // Spent JIT registration is removed.
    expect(await runnerStatus(id)).toBe(404);
  });

  it('works when its folder alone is copied into a guest home (no repo imports)', async () => {
    const guest = path.join(home, 'Users/admin');
    const runnerDir = path.join(guest, 'actions-runner');
    cpSync(path.dirname(RUN_SH), runnerDir, { recursive: true });
    const { config } = await mint('copied');
    fake.enqueueRun({ jobs: [{ name: 'copied-job', labels: ['self-hosted'], durationMs: 50, script: 'echo "registry=$NPM_CONFIG_REGISTRY"' }] });
    // Like Runner.Listener, the stand-in exports the runner root's .env to its job steps.
    writeFileSync(path.join(runnerDir, '.env'), 'LANG=en_US.UTF-8\nNPM_CONFIG_REGISTRY=http://127.0.0.1:9/npm/\n');
    const proc = startRunner(config, { home: guest, runSh: path.join(runnerDir, 'run.sh') });
    expect(await proc.exited).toBe(0);
    expect(proc.stdout()).toContain('Job copied-job completed with result: Succeeded');
    expect(proc.stdout()).toContain('registry=http://127.0.0.1:9/npm/');
  });

  it('retries while the runner service fails, then connects and runs its job', async () => {
    const { config } = await mint('patient');
    fake.faults.add({ method: 'POST', path: /^\/_runner\/sessions$/, status: 503, count: 2 });
    fake.faults.add({ method: 'POST', path: /^\/_runner\/oauth2\/token$/, status: 502, count: 1 });
    fake.enqueueRun({ jobs: [{ name: 'after-outage', labels: ['self-hosted'], durationMs: 50 }] });
    const proc = startRunner(config, { home });
    expect(await proc.exited).toBe(0);
    expect(proc.stderr()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z: Runner connect error: Response status code does not indicate success: 502\. Retrying until reconnected\.$/m);
    expect(proc.stderr()).toMatch(/Runner connect error: Response status code does not indicate success: 503\. Retrying until reconnected\./);
    expect(proc.stdout()).toMatch(/Z: Runner reconnected\.\n/);
    expect(proc.stdout()).toContain('Job after-outage completed with result: Succeeded');
  });

  it('a reused JIT config fails like the real runner; --jitconfig works too', async () => {
    const { config } = await mint('once');
    fake.enqueueRun({ jobs: [{ name: 'one', labels: ['self-hosted'], durationMs: 50 }] });
    const first = startRunner(config, { home, viaArgv: true });
    expect(await first.exited).toBe(0);
    expect(first.stdout()).toMatch(/Job one completed with result: Succeeded/);
    const again = startRunner(config, { home });
    // The listener exits 1 (terminated error); run.sh, like the real one, turns that into 0.
    expect(await again.exited).toBe(0);
    expect(again.stdout()).toContain(TERMINATED);
    expect(again.stderr()).toContain('Failed to create a session. The runner registration has been deleted from the server, please re-configure.');
    expect(again.stdout()).not.toContain('Listening for Jobs');
  });

  it('invalid or missing JIT config: the listener exits 1 with the real messages, run.sh then 0', async () => {
    const bad = startRunner('not base64 !!', { home });
    expect(await bad.exited).toBe(0);
    expect(bad.stdout()).toContain(TERMINATED);
    expect(bad.stderr()).toContain('The input is not a valid Base-64 string');
    const none = startRunner(undefined, { home });
    expect(await none.exited).toBe(0);
    expect(none.stderr()).toContain('An error occurred: Not configured. Run config.(sh/cmd) to configure the runner.');
    const noFiles = startRunner(Buffer.from('{}').toString('base64'), { home });
    expect(await noFiles.exited).toBe(0);
    expect(noFiles.stdout()).toContain(TERMINATED);
  });

  it('a second process with the same config gets a session conflict', async () => {
    const { config } = await mint('twin');
    const first = startRunner(config, { home });
    await waitFor('first runner listening', () => first.stdout().includes('Listening for Jobs'));
    const second = startRunner(config, { home });
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toContain('A session for this runner already exists.');
    expect(second.stdout()).toContain('Runner listener exit with Session Conflict error, stop the service, no retry needed.\nExiting runner...\n');
  });

  it('disconnecting mid-job fails the job after the timeout; the spent registration is removed', async () => {
    const { id, config } = await mint('fragile');
    const { jobIds: [jobId] = [] } = fake.enqueueRun({ jobs: [{ name: 'long', labels: ['self-hosted'], durationMs: 60_000 }] });
    const proc = startRunner(config, { home });
    await waitFor('job running', () => proc.stdout().includes('Running job: long'));
    expect(await runnerStatus(id)).toMatchObject({ status: 'online', busy: true });
    const busyDelete = await fetch(`${fake.url}/orgs/acme/actions/runners/${id}`, { method: 'DELETE', headers: { authorization: 'token test-token' } });
    expect(busyDelete.status).toBe(422);
    expect(await busyDelete.json()).toMatchObject({ message: 'Bad request - Runner "fragile" is still running a job' });
    proc.kill('SIGKILL');
    const job = await waitFor('job failed', () => (fake.job(jobId ?? 0)?.status === 'completed' ? fake.job(jobId ?? 0) : undefined), 20_000);
    expect(job.conclusion).toBe('failure');
    expect(job.failureReason).toContain('lost communication with the server');
    expect(await runnerStatus(id)).toBe(404);
  });

  it('a runner killed while idle goes offline, and its config can connect again (stale session replaced)', async () => {
    const { id, config } = await mint('crashy');
    const first = startRunner(config, { home });
    await waitFor('listening', () => first.stdout().includes('Listening for Jobs'));
    first.kill('SIGKILL');
    await first.exited;
    await waitFor('offline', async () => ((await runnerStatus(id)) as { status: string }).status === 'offline', 20_000);
    fake.enqueueRun({ jobs: [{ name: 'after-crash', labels: ['self-hosted'], durationMs: 50 }] });
    const second = startRunner(config, { home });
    expect(await second.exited).toBe(0);
    expect(second.stdout()).toContain('Job after-crash completed with result: Succeeded');
  });

  it('a cancelled job ends Canceled; an idle runner whose registration is deleted exits', async () => {
    const { config } = await mint('cancellable');
    const { runId, jobIds: [jobId] = [] } = fake.enqueueRun({ jobs: [{ name: 'slow', labels: ['self-hosted'], durationMs: 60_000 }] });
    const proc = startRunner(config, { home });
    await waitFor('job running', () => proc.stdout().includes('Running job: slow'));
    fake.cancelRun(runId);
    expect(await proc.exited).toBe(0);
    expect(proc.stdout()).toMatch(/Job slow completed with result: Canceled/);
    expect(fake.job(jobId ?? 0)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });

    const idle = await mint('idle');
    const idleProc = startRunner(idle.config, { home });
    await waitFor('idle runner online', async () => (await runnerStatus(idle.id)) instanceof Object && ((await runnerStatus(idle.id)) as { status: string }).status === 'online');
    const del = await fetch(`${fake.url}/orgs/acme/actions/runners/${idle.id}`, { method: 'DELETE', headers: { authorization: 'token test-token' } });
    expect(del.status).toBe(204);
    expect(await idleProc.exited).toBe(0);
    expect(idleProc.stdout()).toContain(TERMINATED);
    expect(idleProc.stderr()).toContain('Runner registration has been deleted from the server');
  });

  it('a runner that never connects stays offline; SIGINT (Ctrl-C) while listening exits 0', async () => {
    const { id } = await mint('never');
    const { id: id2, config } = await mint('polite');
    const proc = startRunner(config, { home });
    await waitFor('listening', () => proc.stdout().includes('Listening for Jobs'));
    expect(await runnerStatus(id)).toMatchObject({ status: 'offline' });
    expect(await runnerStatus(id2)).toMatchObject({ status: 'online' });
    proc.kill('SIGINT');
    const code = await proc.exited;
    expect(code, `run.sh ended by ${String(proc.child.signalCode)}; stdout:\n${proc.stdout()}`).toBe(0);
    expect(proc.stdout()).toContain('Exiting...');
    await waitFor('offline after session delete', async () => ((await runnerStatus(id2)) as { status: string }).status === 'offline');
    expect(existsSync(path.join(home, '.runner'))).toBe(false);
  });

  it('run.sh relaunches the listener on 3 (self-update) and 2 (retryable), and stops with 0 on 1, 5 and unknown codes', async () => {
    const { config } = await mint('relaunched');
    fake.enqueueRun({ jobs: [{ name: 'after-relaunch', labels: ['self-hosted'], durationMs: 50 }] });
    const proc = startRunner(config, { home, env: { TART_SIM_RUNNER_EXITS: '3,2' } });
    expect(await proc.exited).toBe(0);
    const out = proc.stdout();
    expect(out).toContain('Runner listener exit because of updating, re-launch runner after successful update\nUpdate finished successfully.\nRestarting runner...\n');
    expect(out).toContain('Runner listener exit with retryable error, re-launch runner in 5 seconds.\nRestarting runner...\n');
    expect(out).toContain("Current runner version: '2.331.0'");
    expect(out).toMatch(/Job after-relaunch completed with result: Succeeded\n[^]*Runner listener exit with 0 return code, stop the service, no retry needed\.\nExiting runner\.\.\.\n$/);
    expect(out.match(/Listening for Jobs/g)).toHaveLength(2);
    for (const [code, line] of [['1', 'terminated error'], ['5', 'Session Conflict error'], ['42', 'Exiting with unknown error code: 42']] as const) {
      const dir = mkdtempSync(path.join(home, `exit-${code}-`));
      const stopped = startRunner((await mint(`stops-${code}`)).config, { home: dir, env: { TART_SIM_RUNNER_EXITS: code } });
      expect(await stopped.exited).toBe(0);
      expect(stopped.stdout()).toContain(line);
      expect(stopped.stdout()).not.toContain('Listening for Jobs');
      expect(stopped.stdout()).not.toContain('Restarting runner...');
    }
  }, 60_000);
});
