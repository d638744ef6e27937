// Warm capacity on the real lifecycle over in-memory tart and SSH, on a fake clock: late binding,
// refills, eviction, dead warm VMs, drain, image switches, overrides and their expiry, a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger';
import { createApp } from '../../../host-agent/src/app';
import { createMetrics } from '../../../host-agent/src/metrics/create-metrics';
import { createRequestSigner } from '../../../core/agent-api/auth';
import { createFakeClock, type FakeClock } from '../../fakes/fake-clock';
import type { FakeTart } from '../../fakes/fake-tart';
import { fakeLifecycleHost, type FakeLifecycleHost } from '../../helpers/fake-lifecycle-host';

const JIT = 'ZmFrZS1qaXQtY29uZmln';
const SECRET = 's'.repeat(32);
const ADMIN = 'a'.repeat(32);
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

type World = FakeLifecycleHost;

/** A host with pools `mac` (warm baseline `macWarm`) and `linux`; every VM gets its own address. */
function world(options: { macWarm?: number; maxVms?: number; stateDir?: string; clock?: FakeClock; tart?: FakeTart; jobMs?: number } = {}): World {
  const { macWarm, ...rest } = options;
  return fakeLifecycleHost({ ...rest, mac: { warm: macWarm ?? 1 }, cleanups });
}

const warmOf = (w: World, pool = 'mac') => w.service.hostInfo().then((h) => h.pools.find((p) => p.name === pool));
const readyWarm = (w: World, pool: string, n: number) => w.clock.runUntil(`${n} warm ${pool} VM(s) ready`, () => w.observer.warm[pool]?.ready === n && w.observer.warm[pool]?.booting === 0);
const start = (w: World, id: string, pool = 'mac') => w.service.start({ name: `tf-${pool}-${id}`, pool, labels: [pool], jitConfig: JIT });
const gone = (w: World, name: string) => w.clock.runUntil(`${name} gone`, () => (w.service.get(name)?.stage === 'gone' ? w.service.get(name) : undefined));
const warmVms = (w: World) => [...w.tart.vms.keys()].filter((n) => /^tf-\w+-w[0-9a-f]+$/.test(n));

describe('warm capacity', () => {
  it('keeps a warm VM booted and unregistered, hands it the JIT config at once, and refills', async () => {
    const w = world();
    await w.clock.settle(w.service.ready);
    await readyWarm(w, 'mac', 1);
    const [warmName] = warmVms(w);
    expect(warmName).toMatch(/^tf-mac-w[0-9a-f]{10}$/);
    // Before the hand-off: only the health check ran in the VM — no bootstrap, no JIT config.
    expect(w.shell.execs.map((e) => e.command)).toEqual(['true']);
    expect(w.shell.execs.every((e) => e.stdin === undefined)).toBe(true);
    expect(await warmOf(w)).toMatchObject({ warm: 1, warmTarget: 1, warmReady: 1, warmBooting: 0 });
    expect((await w.service.hostInfo()).slots).toMatchObject({ total: 2, warm: 1, busy: 0, free: 1 });

    const accepted = start(w, 'j1a0');
    expect(accepted).toMatchObject({ stage: 'requested', vm: warmName });
    const done = await gone(w, 'tf-mac-j1a0');
    // The warm path: no clone and no boot in the runner's record.
    expect(Object.keys(done.timestamps)).toEqual(['requested', 'ssh-ready', 'registering', 'online', 'running', 'tearing-down', 'gone']);
    expect(done).toMatchObject({ jobResult: 'Succeeded', vm: warmName });
    expect(w.observer.handoffs).toEqual([{ pool: 'mac', result: 'hit' }]);
    expect(w.observer.starts).toEqual([expect.objectContaining({ pool: 'mac', path: 'warm' })]);
    expect(w.observer.starts[0]!.seconds).toBeLessThan(1);
    expect(w.shell.execs.filter((e) => e.stdin?.startsWith(JIT))).toHaveLength(1);
    // The VM that served the job is gone; a fresh warm VM took its place.
    expect(w.tart.vms.has(warmName!)).toBe(false);
    await readyWarm(w, 'mac', 1);
    expect(warmVms(w)).toHaveLength(1);
    expect(warmVms(w)[0]).not.toBe(warmName);
    expect(w.tart.maxRunning).toBeLessThanOrEqual(2);
  });

  it('refills the slot a stopped VM freed while that VM is still being deleted, within the 2-VM limit', async () => {
    const w = world({ macWarm: 2 });
    w.tart.delay('delete', 20_000);
    await w.clock.settle(w.service.ready);
    await readyWarm(w, 'mac', 2);
    const [first, second] = warmVms(w);
    start(w, 'j9a0');
    await w.clock.runUntil('the served VM stopped', () => w.tart.vms.get(first!)?.state === 'stopped');
    // The runner's record waits for the slow delete; its slot is already taken by a new warm VM.
    await w.clock.runUntil('a new warm VM booting', () => warmVms(w).length === 3);
    expect(w.service.get('tf-mac-j9a0')?.stage).toBe('tearing-down');
    expect(w.tart.vms.get(first!)?.state).toBe('stopped');
    expect(w.tart.vms.get(second!)?.state).toBe('running');
    await readyWarm(w, 'mac', 2);
    expect(w.service.get('tf-mac-j9a0')?.stage).toBe('tearing-down');
    await gone(w, 'tf-mac-j9a0');
    expect(w.tart.vms.has(first!)).toBe(false);
    expect(w.tart.maxRunning).toBe(2);
  });

  it('a request for another pool evicts the oldest warm VM instead of a 503, within the 2-VM limit', async () => {
    const w = world({ macWarm: 2 });
    await w.clock.settle(w.service.ready);
    await readyWarm(w, 'mac', 2);
    expect((await w.service.hostInfo()).slots).toMatchObject({ warm: 2, free: 0 });
    expect(start(w, 'j2a0', 'linux')).toMatchObject({ stage: 'requested' });
    const done = await gone(w, 'tf-linux-j2a0');
    expect(done).toMatchObject({ jobResult: 'Succeeded' });
    // Not a warm VM: a cold start in a VM of its own name (no spare clones by default).
    expect(done.vm).toBeUndefined();
    expect(w.observer.handoffs).toEqual([{ pool: 'linux', result: 'evicted' }]);
    expect(w.tart.maxRunning).toBeLessThanOrEqual(2);
    // Refilled once the linux VM was gone.
    await readyWarm(w, 'mac', 2);
  });

  it('a warm VM that dies while waiting is replaced; one that fails its probe at hand-off makes way for a cold start', async () => {
    const w = world();
    await w.clock.settle(w.service.ready);
    await readyWarm(w, 'mac', 1);
    const [first] = warmVms(w);
    w.tart.powerOff(first!);
    await w.clock.runUntil('a replacement warm VM', () => warmVms(w).length === 1 && warmVms(w)[0] !== first && w.observer.warm.mac?.ready === 1);
    const [second] = warmVms(w);
    w.dead.add(w.tart.ipOf(second!)!);
    start(w, 'j3a0');
    const done = await gone(w, 'tf-mac-j3a0');
    expect(done).toMatchObject({ jobResult: 'Succeeded' });
    expect(done.vm).toBeUndefined();
    expect(done.timestamps.cloning).toBeDefined();
    expect(w.observer.handoffs).toEqual([{ pool: 'mac', result: 'unhealthy' }]);
    expect(w.observer.starts).toEqual([expect.objectContaining({ path: 'cold' })]);
    expect(w.tart.vms.has(second!)).toBe(false);
    expect(w.tart.maxRunning).toBeLessThanOrEqual(2);
  });

  it('drain tears warm VMs down and refills nothing; resume refills', async () => {
    const w = world();
    await w.clock.settle(w.service.ready);
    await readyWarm(w, 'mac', 1);
    w.service.drain();
    await w.clock.runUntil('warm VMs gone', () => warmVms(w).length === 0);
    await w.clock.tick(30_000);
    expect(warmVms(w)).toHaveLength(0);
    w.service.resume();
    await readyWarm(w, 'mac', 1);
  });

  it('an image switch recycles warm VMs onto the new image; an idle one is recycled after warm.maxIdleMs', async () => {
    const w = world();
    await w.clock.settle(w.service.ready);
    await readyWarm(w, 'mac', 1);
    const [old] = warmVms(w);
    w.tart.vms.set('base-v2', { name: 'base-v2', state: 'stopped', cpu: 4, memoryMb: 8192 });
    w.image.current = 'base-v2';
    await w.clock.runUntil('recycled onto base-v2', () => !w.tart.vms.has(old!) && w.tart.calls.some((c) => c.startsWith('clone base-v2 tf-mac-w')) && w.observer.warm.mac?.ready === 1);
    const [fresh] = warmVms(w);
    await w.clock.tick(31 * 60_000, { stepMs: 1_000 });
    expect(w.tart.vms.has(fresh!)).toBe(false);
    expect(warmVms(w)).toHaveLength(1);
  });

  it('an override holds until `until`, survives a restart, then reverts to the baseline', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'tf-warm-'));
    cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    const clock = createFakeClock();
    const a = world({ macWarm: 0, stateDir, clock });
    await clock.settle(a.service.ready);
    const until = clock.now() + 10 * 60_000;
    expect(await a.service.setWarmTarget('mac', 2, until)).toMatchObject({ pool: 'mac', baseline: 0, target: 2, until: new Date(until).toISOString() });
    await readyWarm(a, 'mac', 2);
    await clock.settle(a.service.shutdown(1_000));
    expect(warmVms(a)).toHaveLength(0);

    const b = world({ macWarm: 0, stateDir, clock, tart: a.tart });
    await clock.settle(b.service.ready);
    expect(await warmOf(b)).toMatchObject({ warm: 0, warmTarget: 2 });
    await readyWarm(b, 'mac', 2);
    await clock.tick(10 * 60_000, { stepMs: 1_000 });
    await clock.runUntil('back to the baseline', () => warmVms(b).length === 0);
    expect(await warmOf(b)).toMatchObject({ warmTarget: 0, warmReady: 0 });
    expect((await warmOf(b))?.warmUntil).toBeUndefined();
  });

  it('the automatic target only adds above the manual floor, and lapses without a refresh', async () => {
    const w = world({ macWarm: 1 });
    await w.clock.settle(w.service.ready);
    expect(await w.service.setWarmTarget('mac', 2, w.clock.now() + 5 * 60_000, 'auto')).toMatchObject({ baseline: 1, target: 2, auto: 2 });
    await readyWarm(w, 'mac', 2);
    // An operator's lower manual target does not undercut the automatic one; a higher one wins.
    expect(await w.service.setWarmTarget('mac', 0, undefined)).toMatchObject({ target: 2, auto: 2 });
    expect(await w.service.setWarmTarget('mac', 2, w.clock.now() + 5 * 60_000, 'auto')).toMatchObject({ target: 2 });
    await w.clock.tick(6 * 60_000, { stepMs: 1_000 });
    // The dispatcher stopped pushing: back to the manual target (0).
    await w.clock.runUntil('auto lapsed', () => warmVms(w).length === 0);
    expect(await warmOf(w)).toMatchObject({ warmTarget: 0 });
  });

  it('after a crash, warm VMs are torn down and a busy runner adopted: nothing leaked, nothing counted twice', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'tf-warm-'));
    cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    const clock = createFakeClock();
    const a = world({ macWarm: 1, stateDir, clock, jobMs: 10 * 60_000 });
    await clock.settle(a.service.ready);
    await readyWarm(a, 'mac', 1);
    start(a, 'j4a0', 'linux');
    await clock.runUntil('linux job running', () => a.service.get('tf-linux-j4a0')?.stage === 'running');
    await readyWarm(a, 'mac', 1);
    const [warmName] = warmVms(a);
    await a.journal.flush();
    // The "crash": a second agent life on the same tart and journal; the first one's tasks are left behind.
    const b = world({ macWarm: 1, stateDir, clock, tart: a.tart });
    await clock.settle(b.service.ready);
    await clock.runUntil('the old warm VM torn down', () => !b.tart.vms.has(warmName!));
    expect(b.service.get('tf-linux-j4a0')).toMatchObject({ adopted: true });
    expect(b.service.list().map((r) => r.name)).toEqual(['tf-linux-j4a0']);
    await readyWarm(b, 'mac', 1);
    expect((await b.service.hostInfo()).slots).toMatchObject({ busy: 1, warm: 1, free: 0 });
  });
});

describe('PUT /v1/pools/:pool/warm', () => {
  async function put(w: World, pool: string, body: unknown, options: { secret?: string; auto?: boolean } = {}) {
    const app = createApp({ service: w.service, config: { secrets: [SECRET], adminSecrets: [ADMIN], hostId: 'h1' }, registry: new Registry(), metrics: createMetrics(new Registry(), { hostId: 'h1' }), logger: silentLogger, clock: w.clock });
    const payload = JSON.stringify(body);
    const p = `/v1/pools/${pool}/warm${options.auto ? '/auto' : ''}`;
    // Warm targets are a fleet operation: the admin secret signs them (the automatic one excepted).
    const headers = await createRequestSigner(options.secret ?? ADMIN).sign({ hostId: 'h1', method: 'PUT', path: p, body: payload }, w.clock.now());
    const res = await app.request(p, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: payload });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('sets the target and refuses bad input with a 400 naming the field, changing nothing', async () => {
    const w = world({ macWarm: 0 });
    await w.clock.settle(w.service.ready);
    const ok = await put(w, 'mac', { count: 1 });
    expect(ok).toEqual({ status: 200, body: { pool: 'mac', baseline: 0, target: 1, ready: 0, booting: 1 } });
    for (const [pool, body, says] of [
      ['mac', { count: -1 }, 'count'],
      ['mac', { count: 1.5 }, 'count'],
      ['mac', { count: 3 }, "count must be at most 2 (the host's slots), got 3"],
      ['ios', { count: 1 }, "pool must be one of mac, linux (configured on host h1), got 'ios'"],
      ['mac', { count: 1, until: 'tomorrow' }, 'until must be an ISO-8601 time'],
      ['mac', { count: 1, until: '2020-01-01T00:00:00Z' }, 'until must be in the future'],
      ['mac', { count: 1, extra: true }, 'extra'],
    ] as const) {
      const r = await put(w, pool, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(says);
    }
    expect(await warmOf(w)).toMatchObject({ warmTarget: 1 });
  });

  it('the runner secret may set only the short-lived automatic target', async () => {
    const w = world({ macWarm: 0 });
    await w.clock.settle(w.service.ready);
    expect((await put(w, 'mac', { count: 2 }, { secret: SECRET })).status).toBe(403);
    const soon = new Date(w.clock.now() + 5 * 60_000).toISOString();
    expect(await put(w, 'mac', { count: 2, until: soon }, { secret: SECRET, auto: true })).toMatchObject({ status: 200, body: { target: 2, auto: 2 } });
    const late = new Date(w.clock.now() + 60 * 60_000).toISOString();
    const tooLong = await put(w, 'mac', { count: 2, until: late }, { secret: SECRET, auto: true });
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toContain('until must be at most 10 minutes ahead for an automatic target');
    expect((await put(w, 'mac', { count: 2 }, { secret: SECRET, auto: true })).status).toBe(400);
  });
});
