/**
 * End to end with real processes: the fake GitHub sends signed webhooks → the dispatcher process →
 * agent processes on the tart simulator → runner stand-ins in the simulated guests → jobs complete.
 * Each test asserts what an operator would check: every job completed, one VM per job, nothing left
 * behind (VMs, registrations, processes), and jobs no pool serves untouched.
 */
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type FleetOptions } from '../../demo/src/fleet';
import { waitFor } from '../../demo/src/proc';
import { startStubAgentServer } from '../fakes/stub-agent-server';
import { samples } from '../helpers/promtool';

const root = path.resolve(__dirname, '../..');
const POOLS = [
  { name: 'macos', labels: ['macOS', 'arm64'] },
  { name: 'xcode', labels: ['macOS', 'xcode-16'] },
];
const BOOT_MS = 1_000;

let fleet: Fleet | undefined;
const servers: Server[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  for (const s of servers.splice(0)) s.close();
  for (const c of cleanups.splice(0)) await c();
});

async function start(options: Partial<FleetOptions> = {}): Promise<Fleet> {
  fleet = await startFleet({ root, hosts: 2, pools: POOLS, bootMs: BOOT_MS, dispatcher: { intervalMs: 3_000, busyIntervalMs: 500, offlineGraceMs: 15_000, idleGraceMs: 20_000 }, ...options });
  return fleet;
}

function enqueue(f: Fleet, n: number, labels: string[], workflowName = 'CI'): number[] {
  return f.github.enqueueRun({ workflowName, jobs: Array.from({ length: n }, (_, i) => ({ name: `job-${i}`, labels, durationMs: 500 })) }).jobIds;
}

async function allCompleted(f: Fleet, jobIds: number[], timeoutMs: number): Promise<void> {
  await waitFor(
    `${jobIds.length} jobs to complete`,
    () => jobIds.every((id) => f.github.job(id)?.status === 'completed'),
    timeoutMs,
    200,
  ).catch((error: unknown) => {
    const states = jobIds.map((id) => `${id}:${f.github.job(id)?.status}`).join(' ');
    throw new Error(`${String(error)}; jobs ${states}; dispatcher log tail:\n${f.dispatcher().lines.slice(-20).join('\n')}`);
  });
}

/** Every job succeeded, each on its own runner; then the fleet empties itself. */
async function expectCleanRun(f: Fleet, jobIds: number[]): Promise<void> {
  const jobs = jobIds.map((id) => f.github.job(id)!);
  expect(jobs.map((j) => j.conclusion)).toEqual(jobIds.map(() => 'success'));
  const runners = jobs.map((j) => j.runnerName);
  expect(new Set(runners).size).toBe(jobIds.length);
  for (const r of runners) expect(r).toMatch(/^tf-(macos|xcode)-j\d+a\d+$/);
  // A surplus runner (a job taken by another job's runner) goes after the idle grace plus a pass and
  // its teardown: 30 s was too tight on a loaded machine. `settle` returns as soon as all is clean.
  const left = await f.settle(60_000);
  expect(left.vms).toEqual([]);
  expect(left.registrations).toEqual([]);
}

/** Number of VMs the agents created (each runner record is one VM). */
async function vmsCreated(f: Fleet): Promise<number> {
  return [...(await f.records()).values()].flat().length;
}

describe('fleet end to end', () => {
  it('runs a burst across pools: every job completes, one VM per job, nothing left, foreign jobs untouched', async () => {
    const f = await start();
    const a = enqueue(f, 5, ['self-hosted', 'macOS', 'arm64'], 'CI');
    const b = enqueue(f, 3, ['self-hosted', 'xcode-16'], 'Release');
    const foreign = enqueue(f, 1, ['self-hosted', 'windows'], 'Windows');
    await allCompleted(f, [...a, ...b], 90_000);
    await expectCleanRun(f, [...a, ...b]);
    expect(await vmsCreated(f)).toBe(8);
    // Xcode jobs ran on xcode runners (macOS jobs may run on either pool: both carry macOS).
    for (const id of b) expect(f.github.job(id)!.runnerName).toMatch(/^tf-xcode-/);
    expect(f.github.job(foreign[0]!)).toMatchObject({ status: 'queued', runnerName: null });
    expect(f.github.runners().some((r) => r.name.includes(`j${foreign[0]}a`))).toBe(false);
    const closed = await f.close();
    fleet = undefined;
    expect(closed.processes).toEqual([]);
  }, 180_000);

  it('recovers jobs whose webhooks were dropped, through the reconciler, within one interval', async () => {
    const f = await start({ dispatcher: { intervalMs: 3_000, busyIntervalMs: 500, offlineGraceMs: 15_000, idleGraceMs: 20_000 } });
    f.github.webhooks.inject({ kind: 'drop', action: 'queued', count: 3 });
    const t0 = Date.now();
    const ids = enqueue(f, 3, ['self-hosted', 'macOS']);
    // The reconciler (3 s interval) must start every runner: nothing else knows about these jobs.
    // One interval, plus time to mint and place on a loaded CI machine.
    await waitFor('runners for all three jobs', async () => (await vmsCreated(f)) === 3, 3_000 + 7_000);
    expect(Date.now() - t0).toBeLessThan(3_000 + 7_000);
    await allCompleted(f, ids, 60_000);
    await expectCleanRun(f, ids);
    expect(f.github.webhooks.deliveries().filter((d) => d.action === 'queued' && d.status.startsWith('Dropped')).length).toBe(3);
  }, 180_000);

  it('works in poll-only mode, with no webhook at all', async () => {
    const f = await start({ webhooks: false, dispatcher: { intervalMs: 2_000, busyIntervalMs: 500, offlineGraceMs: 15_000, idleGraceMs: 20_000 } });
    const ids = enqueue(f, 3, ['self-hosted', 'xcode-16']);
    await allCompleted(f, ids, 90_000);
    await expectCleanRun(f, ids);
    expect(f.github.webhooks.deliveries()).toEqual([]);
    // Queue wait and the gha_* job series come from the reconcile passes alone.
    const want = {
      'runner_queue_wait_seconds_count{pool="xcode"}': 3,
      'gha_started_jobs_total{pool="xcode",repository="acme/app"}': 3,
      'gha_completed_jobs_total{pool="xcode",result="succeeded"}': 3,
    };
    const seen = async () => samples(await (await fetch(`${f.dispatcherUrl()}/metrics`)).text(), want);
    await waitFor('the job metrics of a poll-only dispatcher', async () => JSON.stringify(await seen()) === JSON.stringify(want), 15_000, 250).catch(() => undefined);
    expect(await seen()).toEqual(want);
    // Without a webhook secret the route does not exist.
    expect((await fetch(`${f.dispatcherUrl()}/webhook`, { method: 'POST', body: '{}' })).status).toBe(404);
  }, 180_000);

  it('starts no extra runner for duplicated and reordered deliveries', async () => {
    const f = await start({ dispatcher: { intervalMs: 10_000, busyIntervalMs: 500, offlineGraceMs: 15_000, idleGraceMs: 20_000 } });
    f.github.webhooks.inject({ kind: 'duplicate', action: 'queued', count: 4 });
    f.github.webhooks.inject({ kind: 'reorder', count: 4 });
    const ids = enqueue(f, 4, ['self-hosted', 'macOS']);
    await allCompleted(f, ids, 90_000);
    await expectCleanRun(f, ids);
    expect(await vmsCreated(f)).toBe(4);
  }, 180_000);

  it('skips a host that answers 503 (draining) and one that never answers', async () => {
    // A host that accepts connections and never says a word.
    const blackHole = createServer(() => {});
    servers.push(blackHole);
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
    const port = (blackHole.address() as { port: number }).port;
    // A host that says it has room, then answers POST /v1/runners with 503 (it lost the race).
    const refusing = await startStubAgentServer({ secret: 'r'.repeat(40), slots: 2, refuseStarts: true });
    cleanups.push(() => refusing.close());
    // Placement waits 2 s per host: long enough for the refusing stub (served by this busy test
    // process) to answer, so only the black hole times out.
    // The surplus runners the staggered starts make (below) go after the idle grace: 8 s here.
    const f = await start({ hosts: 2, dispatcher: { intervalMs: 3_000, busyIntervalMs: 500, offlineGraceMs: 15_000, idleGraceMs: 8_000, timeoutMs: 2_000 }, extraHosts: [{ url: `http://127.0.0.1:${port}`, secret: 'h'.repeat(40) }, { url: refusing.url, secret: 'r'.repeat(40) }] });
    await f.agents[0]!.adminClient.drain();
    const ids = enqueue(f, 3, ['self-hosted', 'macOS']);
    await allCompleted(f, ids, 90_000);
    await expectCleanRun(f, ids);
    const byHost = await f.records();
    expect(byHost.get(f.agents[0]!.id)).toEqual([]);
    // Every job ran on the second host. Runners are not bound to jobs: with starts staggered by the
    // 2 s wait on the black hole, a runner can take an older job, and the job it was minted for then
    // gets a runner of its own (which goes after the idle grace). So at least one VM per job here;
    // the burst test holds the fleet to exactly one.
    const second = byHost.get(f.agents[1]!.id)!.map((r) => r.name);
    expect(second.length).toBeGreaterThanOrEqual(3);
    for (const id of ids) expect(second).toContain(f.github.job(id)!.runnerName);
    const log = f.dispatcher().lines.join('\n');
    expect(log).toContain(`127.0.0.1:${port}/v1/host did not finish within`);
    expect(refusing.refused.length).toBeGreaterThan(0);
    expect(refusing.started).toEqual([]);
    expect(log).toContain(`"err":"POST ${refusing.url}/v1/runners: no free slot","msg":"host skipped"`);
  }, 180_000);

  it('rides out GitHub 5xx on minting and a secondary rate limit with no lost job or leaked registration', async () => {
    const f = await start({ github: { jitKeyBits: 1024, secondaryRateLimit: { retryAfterSeconds: 1 } } });
    f.github.faults.add({ method: 'POST', path: /generate-jitconfig/, status: 502, afterCommit: true, count: 2 });
    f.github.faults.add({ method: 'POST', path: /generate-jitconfig/, status: 503, count: 1 });
    f.github.rateLimits.forceSecondary({ count: 2, path: /generate-jitconfig/ });
    const ids = enqueue(f, 4, ['self-hosted', 'macOS']);
    await allCompleted(f, ids, 90_000);
    await expectCleanRun(f, ids);
    // The faults did happen: retried under the next attempt's name, and the limit was waited out.
    const log = f.dispatcher().lines.join('\n');
    expect(log).toContain('minting a JIT config failed; retrying with the next name');
    expect(log).toContain('GitHub secondary rate limit on POST');
    expect(ids.some((id) => /a[1-9]$/.test(f.github.job(id)!.runnerName ?? ''))).toBe(true);
  }, 180_000);

  it('loses nothing when the dispatcher is killed in the middle of a burst', async () => {
    const f = await start();
    const first = enqueue(f, 4, ['self-hosted', 'macOS']);
    await waitFor('first runners placed', async () => (await vmsCreated(f)) >= 1, 30_000);
    await f.stopDispatcher('crash');
    // Deliveries while it is down fail and are never redelivered.
    const second = enqueue(f, 3, ['self-hosted', 'macOS']);
    await f.github.webhooks.idle();
    await f.startDispatcher();
    await allCompleted(f, [...first, ...second], 120_000);
    await expectCleanRun(f, [...first, ...second]);
    expect(f.github.webhooks.deliveries().some((d) => d.action === 'queued' && d.statusCode !== 202)).toBe(true);
  }, 180_000);

  it('moves the job of a host killed while its runner is registered but not online, and leaks nothing once the agent restarts', async () => {
    const HOST_GRACE_MS = 3_000;
    const INTERVAL_MS = 3_000;
    // The stale registration is deleted past this grace (waited for below); mini-2's runner comes
    // online within ~2 s of its 1 s boot.
    const OFFLINE_GRACE_MS = 8_000;
    // mini-1's guests take a minute to boot, so its runner is still offline when the agent dies.
    const f = await start({
      agentEnv: (i) => (i === 0 ? { TART_SIM_BOOT_MS: '60000' } : {}),
      dispatcher: { intervalMs: INTERVAL_MS, busyIntervalMs: 500, offlineGraceMs: OFFLINE_GRACE_MS, idleGraceMs: 20_000, hostGraceMs: HOST_GRACE_MS },
    });
    await f.agents[1]!.adminClient.drain();
    const [id] = enqueue(f, 1, ['self-hosted', 'macOS']);
    await waitFor('a VM booting on mini-1', async () => ((await f.vms()).get('mini-1') ?? []).length === 1, 30_000);
    const first = f.registrations();
    expect(first).toHaveLength(1);
    expect(f.github.runners().find((r) => r.name === first[0])?.sessionId).toBeNull();
    // No reconcile pass need have seen it there: the dispatcher remembers where it placed it.
    await f.killAgent(0);
    const killedAt = Date.now();
    await f.agents[1]!.adminClient.resume();
    await allCompleted(f, [id!], 60_000);
    const took = Date.now() - killedAt;
    const job = f.github.job(id!)!;
    expect(job.conclusion).toBe('success');
    expect(job.runnerName).not.toBe(first[0]);
    expect((await f.agents[1]!.client.listRunners()).map((r) => r.name)).toContain(job.runnerName);
    // Host grace + one interval, plus a 1 s boot, the 0.5 s job and minting/placing on a loaded machine.
    expect(took).toBeLessThan(HOST_GRACE_MS + INTERVAL_MS + 8_000);

    // The stale registration goes past the offline grace while mini-1 is still down.
    await waitFor('the stale registration deleted', () => f.registrations().length === 0, 30_000);
    await f.restartAgent(0);
    const left = await f.settle(30_000);
    expect(left.vms).toEqual([]);
    expect(left.registrations).toEqual([]);
    const closed = await f.close();
    fleet = undefined;
    expect(closed.processes).toEqual([]);
  }, 180_000);
});
