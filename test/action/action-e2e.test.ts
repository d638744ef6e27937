/**
 * The action run as GitHub runs it — `node dist/main.js` and `node dist/post.js` as child processes
 * with INPUT_*, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY and RUNNER_TEMP — against the fake
 * GitHub and a real agent process on the tart simulator (plus the dispatcher, which must leave the
 * run's runners alone). What a user checks: the run's jobs ran on the run's runners and nowhere
 * else, and after `stop` (or the post step of a failed start) no VM and no registration is left.
 */
import { execFile } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type FleetAgent } from '../../demo/src/fleet';
import { waitFor } from '../../demo/src/proc';
import { parseCommandFile } from '../helpers/command-file';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '../..');

let fleet: Fleet;
let agent: FleetAgent & { secret?: string };
let work: string;

beforeAll(async () => {
  fleet = await startFleet({ root, hosts: 1, pools: [{ name: 'macos', labels: ['macOS'] }], bootMs: 800 });
  agent = fleet.agents[0]!;
  work = mkdtempSync(path.join(tmpdir(), 'tf-action-e2e-'));
}, 120_000);

afterAll(async () => {
  const left = await fleet?.close();
  rmSync(work, { recursive: true, force: true });
  expect(left?.processes ?? []).toEqual([]);
}, 120_000);

interface StepResult {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
}

/** Runs one entrypoint of the action like the runner does; `state` feeds STATE_* to the post step. */
async function step(entry: 'main' | 'post', inputs: Record<string, string>, runId: string, state: Record<string, string> = {}): Promise<StepResult> {
  const dir = mkdtempSync(path.join(work, `${entry}-`));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' };
  for (const f of Object.values(files)) writeFileSync(path.join(dir, f), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    RUNNER_TEMP: dir,
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'acme/app',
    ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, path.join(dir, f)])),
    ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
    ...Object.fromEntries(
      Object.entries({
        hosts: agent.url,
        'agent-secret': agent.secret ?? '',
        'github-token': 'test-token',
        'github-api-url': fleet.github.url,
        pool: 'macos',
        ...inputs,
      }).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
    ),
  };
  const { code, stdout } = await exec(process.execPath, [path.join(root, `dist/${entry}.js`)], { env, timeout: 120_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (error: unknown) => {
      const e = error as { code?: number; stdout?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '' };
    },
  );
  return {
    code,
    stdout,
    outputs: parseCommandFile(path.join(dir, 'output')),
    state: parseCommandFile(path.join(dir, 'state')),
    summary: readFileSync(path.join(dir, 'summary'), 'utf8'),
  };
}

const runRunners = (runId: string) => fleet.github.runners().filter((r) => r.name.startsWith(`tf-macos-r${runId}a1n`));
const vmsNow = async () => [...(await fleet.vms()).values()].flat();

describe('the action against a simulated fleet', () => {
  it('start: the run\'s job runs on the run\'s runners only; stop removes the idle one; nothing is left', async () => {
    const runId = '7001';
    const label = `tartfleet-${runId}-1`;
    const ours = fleet.github.enqueueRun({ workflowName: 'ios', jobs: [{ name: 'build', labels: ['self-hosted', label], durationMs: 300 }] }).jobIds;
    const otherRun = fleet.github.enqueueRun({ workflowName: 'other', jobs: [{ name: 'theirs', labels: ['self-hosted', 'tartfleet-9999-1'], durationMs: 300 }] }).jobIds;

    const main = await step('main', { mode: 'start', count: '2', 'wait-online': 'true', 'wait-timeout-seconds': '90' }, runId);
    expect(main.stdout).not.toContain('::error::');
    expect(main.code).toBe(0);
    expect(main.outputs.label).toBe(label);
    const started = JSON.parse(main.outputs.runners ?? '[]') as { name: string; host: string }[];
    expect(started.map((r) => r.name)).toEqual([1, 2].map((i) => `tf-macos-r${runId}a1n${i}`));
    expect(new Set(started.map((r) => r.host))).toEqual(new Set([agent.url]));
    // The JIT configs were masked the moment they were minted.
    expect(main.stdout.match(/::add-mask::/g)?.length ?? 0).toBeGreaterThanOrEqual(3);

    await waitFor('the run\'s job to complete', () => ours.every((id) => fleet.github.job(id)?.status === 'completed'), 90_000, 200);
    for (const id of ours) {
      expect(fleet.github.job(id)).toMatchObject({ conclusion: 'success' });
      expect(started.map((r) => r.name)).toContain(fleet.github.job(id)!.runnerName);
    }
    expect(fleet.github.job(otherRun[0]!)).toMatchObject({ status: 'queued', runnerName: null });

    // The post step of a complete start leaves the runners to the run's jobs.
    const post = await step('post', { mode: 'start' }, runId, main.state);
    expect(post.code).toBe(0);
    expect(runRunners(runId).map((r) => r.name)).toHaveLength(1);

    // The final `stop` job: the second runner never got a job; its registration and VM go.
    const stop = await step('main', { mode: 'stop' }, runId);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('1 registration(s) deleted, 1 VM(s) torn down');
    await waitFor('no VM and no registration of the run', async () => runRunners(runId).length === 0 && (await vmsNow()).length === 0, 60_000, 250);
    expect(fleet.github.job(otherRun[0]!)).toMatchObject({ status: 'queued', runnerName: null });
    fleet.github.cancelRun(fleet.github.job(otherRun[0]!)!.runId);
  }, 240_000);

  it('a start that cannot place every runner fails, and its post step removes what it created', async () => {
    const runId = '7002';
    // One host with two slots: the third runner has nowhere to go.
    const main = await step('main', { mode: 'start', count: '3' }, runId);
    expect(main.code).not.toBe(0);
    expect(main.stdout).toMatch(/::error::runner 3 of 3 \('tf-macos-r7002a1n3'\) could not be placed \(no_capacity\)/);
    // A slot is held before minting: the runner that had nowhere to go was never registered.
    expect(runRunners(runId).map((r) => r.name).sort()).toEqual(['tf-macos-r7002a1n1', 'tf-macos-r7002a1n2']);
    const post = await step('post', { mode: 'start', count: '3' }, runId, main.state);
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('2 registration(s) deleted, 2 VM(s) torn down');
    await waitFor('no VM and no registration of the run', async () => runRunners(runId).length === 0 && (await vmsNow()).length === 0, 60_000, 250);
  }, 240_000);

  it('a cancelled run: stop removes runners that never got their jobs', async () => {
    const runId = '7003';
    const jobs = fleet.github.enqueueRun({ jobs: [{ name: 'x', labels: ['self-hosted', `tartfleet-${runId}-1`], durationMs: 60_000 }] });
    fleet.github.cancelRun(jobs.runId);
    const main = await step('main', { mode: 'start', count: '2' }, runId);
    expect(main.code).toBe(0);
    const stop = await step('main', { mode: 'stop' }, runId);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('2 registration(s) deleted');
    await waitFor('no VM and no registration of the run', async () => runRunners(runId).length === 0 && (await vmsNow()).length === 0, 60_000, 250);
  }, 240_000);

  it('status writes a job summary table and a JSON output; drain and resume flip the host', async () => {
    const status = await step('main', { mode: 'status', 'github-token': '' }, '7004');
    expect(status.code).toBe(0);
    expect(status.summary).toContain('| host | state | slots | runners | images | agent |');
    expect(status.summary).toContain(agent.url);
    expect((JSON.parse(status.outputs.status ?? '[]') as { info?: { slots: { total: number } } }[])[0]?.info?.slots.total).toBe(2);

    const drain = await step('main', { mode: 'drain', 'github-token': '' }, '7004');
    expect(drain.code).toBe(0);
    expect((JSON.parse(drain.outputs.status ?? '[]') as { info: { draining: boolean } }[])[0]?.info.draining).toBe(true);
    const refused = await step('main', { mode: 'start', count: '1' }, '7005');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain("::error::no host of pool 'macos' has a free slot");
    await step('post', { mode: 'start', count: '1' }, '7005', refused.state);
    const resume = await step('main', { mode: 'resume', 'github-token': '' }, '7004');
    expect((JSON.parse(resume.outputs.status ?? '[]') as { info: { draining: boolean } }[])[0]?.info.draining).toBe(false);
    expect(runRunners('7005')).toEqual([]);
  }, 240_000);

  it('scale: warm VMs boot unregistered, a start takes one without a boot, and scale 0 tears them down', async () => {
    const warmNames = async () => (await vmsNow()).filter((n) => /^tf-macos-w[0-9a-f]+$/.test(n));
    const up = await step('main', { mode: 'scale', warm: '1', duration: '1h', 'github-token': '' }, '7010');
    expect(up.code).toBe(0);
    expect(up.summary).toContain('| host | warm target | until | warm VMs | slots |');
    expect(up.summary).toContain(`| ${agent.url} | 1 (baseline 0) |`);
    const rows = JSON.parse(up.outputs.status ?? '[]') as { warm?: { target: number; until?: string } }[];
    expect(rows[0]?.warm?.target).toBe(1);
    expect(Date.parse(rows[0]?.warm?.until ?? '') - Date.now()).toBeGreaterThan(55 * 60_000);
    await waitFor('a ready warm VM', async () => (await agent.client.host()).pools[0]?.warmReady === 1, 60_000, 200);
    const [warmVm] = await warmNames();
    expect(warmVm).toBeDefined();
    // Late binding: no bootstrap ran in it yet (no runner console, no runner .env), GitHub knows no
    // runner for it, the agent has no runner record for it.
    const home = path.join(agent.tartHome, 'vms', warmVm!, 'guest', 'Users', 'admin');
    expect(existsSync(path.join(home, '.tartfleet', 'runner-console.log'))).toBe(false);
    expect(existsSync(path.join(home, 'actions-runner', '.env'))).toBe(false);
    expect(existsSync(path.join(home, 'actions-runner', 'run.sh'))).toBe(true);
    expect(fleet.github.runners().map((r) => r.name)).not.toContain(warmVm);
    expect((await agent.client.listRunners()).some((r) => r.name === warmVm || r.vm === warmVm)).toBe(false);

    const runId = '7011';
    const ours = fleet.github.enqueueRun({ workflowName: 'warm', jobs: [{ name: 'build', labels: ['self-hosted', `tartfleet-${runId}-1`], durationMs: 300 }] }).jobIds;
    const main = await step('main', { mode: 'start', count: '1' }, runId);
    expect(main.code).toBe(0);
    const record = await agent.client.getRunner(`tf-macos-r${runId}a1n1`);
    expect(record).toMatchObject({ vm: warmVm });
    await waitFor('the job to complete on the warm VM', () => ours.every((id) => fleet.github.job(id)?.status === 'completed'), 90_000, 200);
    const done = await agent.client.getRunner(`tf-macos-r${runId}a1n1`);
    expect(done?.timestamps.cloning).toBeUndefined();
    expect(done?.timestamps.booting).toBeUndefined();
    // Refilled in the background, then scaled back to none: no warm VM is left.
    await waitFor('a refill', async () => (await warmNames()).some((n) => n !== warmVm), 60_000, 200);
    const down = await step('main', { mode: 'scale', warm: '0', 'github-token': '' }, '7010');
    expect(down.code).toBe(0);
    await waitFor('no warm VM', async () => (await warmNames()).length === 0 && (await vmsNow()).length === 0, 60_000, 200);
    await step('main', { mode: 'stop' }, runId);
  }, 240_000);

  it('unreachable hosts fail the step naming the input, before anything is registered', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const main = await step('main', { mode: 'start', hosts: `http://127.0.0.1:${closed}` }, '7007');
    expect(main.code).not.toBe(0);
    expect(main.stdout).toContain(`::error::Input 'hosts' must list reachable tartfleet agents; none answered: http://127.0.0.1:${closed}`);
    expect(runRunners('7007')).toEqual([]);
  }, 60_000);

  it('bad input fails the step naming the input, and the post step stays quiet', async () => {
    const main = await step('main', { mode: 'start', count: '0' }, '7006');
    expect(main.code).not.toBe(0);
    expect(main.stdout).toContain("::error::Input 'count' must be a whole number from 1 to 50, got '0'");
    const post = await step('post', { count: '0' }, '7006', main.state);
    expect(post.code).toBe(0);
    expect(post.stdout).not.toContain('::warning::');
  }, 60_000);
});
