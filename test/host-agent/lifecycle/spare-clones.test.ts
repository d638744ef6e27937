// Spare clones (issue #16) on the real lifecycle over in-memory tart and SSH, on a fake clock: a cold
// runner takes the pool's stopped spare instead of cloning, the next one is cloned in the background
// (one clone at a time), a spare never holds a slot, image switches and drain delete it, a crashed
// agent's spare is deleted by the reconciler, and `spareClones: 0` keeps the plain cold start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSpareVmName } from '../../../core/names';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { StartRejectedError } from '../../../host-agent/src/service';
import { createFakeClock, type FakeClock } from '../../fakes/fake-clock';
import { createFakeTart, type FakeTart } from '../../fakes/fake-tart';
import { fakeLifecycleHost, type FakeLifecycleHost } from '../../helpers/fake-lifecycle-host';

const JIT = 'ZmFrZS1qaXQtY29uZmln';
/** The simulator's clone takes about this long; the fake's takes it in fake time. */
const CLONE_MS = 800;
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface World extends FakeLifecycleHost {
  /** Spare clones (`tf-*-c*`) whose `tart clone` ran at the same time, at most. */
  maxConcurrentSpareClones: () => number;
}

/** A host with pools `mac` and `linux` (`spareClones` for both, 1 when absent); jobs last `jobMs`. */
function world(options: { spareClones?: number; jobMs?: number; stateDir?: string; clock?: FakeClock; tart?: FakeTart } = {}): World {
  const clock = options.clock ?? createFakeClock();
  const tart = options.tart ?? createFakeTart({ clock });
  if (!options.tart) tart.delay('clone', CLONE_MS);
  let spareClones = 0;
  let maxSpareClones = 0;
  const clone = tart.clone.bind(tart);
  tart.clone = async (source, name, callOptions) => {
    if (!isSpareVmName(name)) return clone(source, name, callOptions);
    maxSpareClones = Math.max(maxSpareClones, ++spareClones);
    try {
      return await clone(source, name, callOptions);
    } finally {
      spareClones -= 1;
    }
  };
  const spare = { spareClones: options.spareClones ?? 1 };
  const host = fakeLifecycleHost({
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    clock,
    tart,
    jobMs: options.jobMs ?? 2_000,
    jobDeadlineMs: 600_000,
    mac: { cpu: 4, memoryMb: 8192, ...spare },
    linux: spare,
    cleanups,
  });
  return { ...host, maxConcurrentSpareClones: () => maxSpareClones };
}

/** The pool's spare clones on the host that no runner has taken (a taken one keeps its name as the runner's `vm`). */
const spares = (w: World, pool = 'mac') => {
  const serving = new Set(w.service.list().flatMap((r) => (r.vm && r.stage !== 'gone' ? [r.vm] : [])));
  return [...w.tart.vms.keys()].filter((n) => isSpareVmName(n) && n.startsWith(`tf-${pool}-`) && !serving.has(n));
};
const spareOf = (w: World, pool = 'mac') => w.service.hostInfo().then((h) => h.pools.find((p) => p.name === pool)?.spare);
/** Moves fake time until `GET /v1/host` shows the pool's spare ready (a minute at most). */
async function spareReady(w: World, pool = 'mac'): Promise<void> {
  for (let waited = 0; !(await spareOf(w, pool)); waited += 100) {
    if (waited >= 60_000) throw new Error(`no spare clone of ${pool} within a minute of fake time`);
    await w.clock.tick(100);
  }
}
const start = (w: World, id: string, pool = 'mac') => w.service.start({ name: `tf-${pool}-${id}`, pool, labels: [pool], jitConfig: JIT });
const stageIs = (w: World, name: string, stage: string) => w.clock.runUntil(`${name} ${stage}`, () => w.service.get(name)?.stage === stage);
const ms = (iso: string | undefined) => Date.parse(iso ?? '');

describe('spare clones', () => {
  it('a cold runner after the first takes the spare cloned in the background: no clone of its own, a shorter cloning stage', async () => {
    const w = world();
    await w.clock.settle(w.service.ready);
    // The first runner comes before any spare is ready: it clones its own VM.
    start(w, 'j1a0');
    await stageIs(w, 'tf-mac-j1a0', 'running');
    await spareReady(w);
    const [spare] = spares(w);
    expect(w.tart.vms.get(spare!)?.state).toBe('stopped');
    const spareCloned = w.tart.calls.indexOf(`clone base ${spare}`);
    expect(spareCloned).toBeGreaterThanOrEqual(0);
    expect(spareCloned).toBeLessThan(w.tart.calls.length);
    const callsBefore = w.tart.calls.length;

    expect(start(w, 'j2a0')).toMatchObject({ stage: 'requested', vm: spare });
    const done = await w.clock.runUntil('tf-mac-j2a0 gone', () => (w.service.get('tf-mac-j2a0')?.stage === 'gone' ? w.service.get('tf-mac-j2a0') : undefined));
    expect(done).toMatchObject({ jobResult: 'Succeeded', vm: spare });
    // Timelines stay comparable: the record has its `cloning` stage, which only set the spare up.
    expect(Object.keys(done.timestamps)).toEqual(['requested', 'cloning', 'booting', 'ssh-ready', 'registering', 'online', 'running', 'tearing-down', 'gone']);
    const first = w.service.get('tf-mac-j1a0')!;
    expect(ms(first.timestamps.booting) - ms(first.timestamps.requested)).toBeGreaterThanOrEqual(CLONE_MS);
    expect(ms(done.timestamps.booting) - ms(done.timestamps.requested)).toBeLessThan(CLONE_MS);
    // No clone for the runner; the spare was cloned before it was requested, then set up and booted.
    const after = w.tart.calls.slice(callsBefore);
    expect(w.tart.calls.filter((c) => c.includes('tf-mac-j2a0'))).toEqual([]);
    // Set up (CPU, memory, MAC) with the clone: the runner only boots it.
    expect(w.tart.calls.indexOf(`set ${spare}`)).toBeGreaterThan(spareCloned);
    expect(after).not.toContain(`set ${spare}`);
    expect(after).toContain(`run --no-graphics ${spare}`);
    expect(after.filter((c) => c.startsWith('clone ')).every((c) => isSpareVmName(c.split(' ')[2]!))).toBe(true);
    // The spare went with the runner; the pool has a fresh one, cloned while that job ran.
    expect(w.tart.vms.has(spare!)).toBe(false);
    await spareReady(w);
    expect(spares(w)).toHaveLength(1);
    // Two pools, one spare clone at a time.
    expect(await spareOf(w, 'linux')).toBe(true);
    expect(w.maxConcurrentSpareClones()).toBe(1);
    expect([...w.service.activeVms()]).toEqual(expect.arrayContaining([...spares(w), ...spares(w, 'linux')].map((vm) => [vm, `spare clone ${vm}`])));
  });

  it('a spare never holds a slot: two runners run and a spare waits, stopped; a third runner is refused and leaves the spare alone', async () => {
    const w = world({ jobMs: 60_000 });
    await w.clock.settle(w.service.ready);
    await spareReady(w);
    start(w, 'j1a0');
    start(w, 'j2a0');
    await stageIs(w, 'tf-mac-j1a0', 'running');
    await stageIs(w, 'tf-mac-j2a0', 'running');
    await spareReady(w);
    const [spare] = spares(w);
    expect(w.tart.vms.get(spare!)?.state).toBe('stopped');
    expect([...w.tart.vms.values()].filter((vm) => vm.state === 'running')).toHaveLength(2);
    expect(w.service.slotCounts()).toMatchObject({ total: 2, busy: 2, warm: 0, free: 0 });
    expect(() => start(w, 'j3a0')).toThrow(StartRejectedError);
    expect(await spareOf(w)).toBe(true);
    expect(spares(w)).toEqual([spare]);
    expect(w.tart.maxRunning).toBe(2);
  });

  it('an image switch discards the spare: a runner never takes an old image, and the next spare is of the new one', async () => {
    const w = world();
    await w.clock.settle(w.service.ready);
    await spareReady(w);
    const [old] = spares(w);
    w.image.current = 'base2';
    // Taken before the next tick: the runner clones the new image itself and the old spare is deleted.
    expect(start(w, 'j1a0').vm).toBeUndefined();
    await stageIs(w, 'tf-mac-j1a0', 'running');
    expect(w.tart.calls).toContain('clone base2 tf-mac-j1a0');
    await w.clock.runUntil('the old spare deleted', () => !w.tart.vms.has(old!));
    await spareReady(w);
    const [fresh] = spares(w);
    expect(w.tart.calls).toContain(`clone base2 ${fresh}`);
    // Without a runner, the tick does it: a rollback deletes the spare and clones the old image again.
    w.image.current = 'base';
    await w.clock.runUntil('the base2 spare deleted', () => !w.tart.vms.has(fresh!));
    await spareReady(w);
    expect(w.tart.calls).toContain(`clone base ${spares(w)[0]}`);
    expect(w.tart.calls).toContain(`delete ${fresh}`);
    // Told of a switch, the agent drops the old image's spare at once (no beat awaited): a prune
    // right after no longer counts it as a user of the old image.
    const [current] = spares(w);
    w.image.current = 'base2';
    w.service.poolImageSwitched();
    expect(w.service.activeVms().has(current!)).toBe(false);
  });

  it('drain deletes the spare and clones none; resume clones one again', async () => {
    const w = world();
    await w.clock.settle(w.service.ready);
    await spareReady(w);
    const [spare] = spares(w);
    w.service.drain();
    await w.clock.runUntil('the spare deleted', () => !w.tart.vms.has(spare!));
    await w.clock.tick(30_000);
    expect(spares(w)).toEqual([]);
    expect(await spareOf(w)).toBe(false);
    w.service.resume();
    await spareReady(w);
    expect(spares(w)).toHaveLength(1);
  });

  it('after a crash, the old life\'s stopped spare is deleted by the reconciler (no record, no slot) and a fresh one cloned', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'tf-spare-'));
    cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    const clock = createFakeClock();
    const a = world({ stateDir, clock });
    await clock.settle(a.service.ready);
    await spareReady(a);
    const [old] = spares(a);
    // The "crash": a second agent life on the same tart and state; the first one's tasks are left behind.
    const b = world({ stateDir, clock, tart: a.tart });
    await clock.settle(b.service.ready);
    expect(b.tart.vms.has(old!)).toBe(false);
    expect(b.tart.calls).toContain(`delete ${old}`);
    expect(b.service.list()).toEqual([]);
    expect(b.service.slotCounts()).toMatchObject({ busy: 0, free: 2 });
    await spareReady(b);
    expect(spares(b)).toHaveLength(1);
    expect(spares(b)[0]).not.toBe(old);
  });

  it('spareClones: 2 keeps two ready, so two runners started at once both skip the clone', async () => {
    const w = world({ spareClones: 2 });
    await w.clock.settle(w.service.ready);
    await w.clock.runUntil('two spares of mac', () => spares(w).length === 2);
    const ready = spares(w);
    const a = start(w, 'j1a0');
    const b = start(w, 'j2a0');
    expect([a.vm, b.vm].sort()).toEqual([...ready].sort());
    await stageIs(w, 'tf-mac-j1a0', 'running');
    await stageIs(w, 'tf-mac-j2a0', 'running');
    expect(w.tart.calls.filter((c) => /^clone base tf-mac-j/.test(c))).toEqual([]);
    // Both are cloned again, one at a time, while the jobs run.
    await w.clock.runUntil('two fresh spares of mac', () => spares(w).length === 2);
    expect(w.maxConcurrentSpareClones()).toBe(1);
  });

  it('spareClones: 0 keeps the plain cold start; other values are refused with the rule', async () => {
    const w = world({ spareClones: 0 });
    await w.clock.settle(w.service.ready);
    start(w, 'j1a0');
    const done = await w.clock.runUntil('tf-mac-j1a0 gone', () => (w.service.get('tf-mac-j1a0')?.stage === 'gone' ? w.service.get('tf-mac-j1a0') : undefined));
    expect(done.vm).toBeUndefined();
    expect(w.tart.calls).toContain('clone base tf-mac-j1a0');
    expect(w.tart.calls.filter((c) => c.startsWith('clone '))).toEqual(['clone base tf-mac-j1a0']);
    expect(spares(w)).toEqual([]);
    expect(await spareOf(w)).toBe(false);
    for (const bad of [65, -1, 0.5, 'one']) {
      const parsed = agentConfigSchema.safeParse({ hostId: 'h1', secrets: ['s'.repeat(32)], stateDir: '/tmp/x', pools: [{ name: 'mac', image: 'base', labels: ['macos'], spareClones: bad }] });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]).toMatchObject({ path: ['pools', 0, 'spareClones'], message: expect.stringContaining('spareClones must be a whole number from 0 (no spare clone) to 64') });
    }
    expect(agentConfigSchema.parse({ hostId: 'h1', secrets: ['s'.repeat(32)], stateDir: '/tmp/x', pools: [{ name: 'mac', image: 'base', labels: ['macos'] }] }).pools[0]?.spareClones).toBe(0);
  });
});
