import { describe, expect, it } from 'vitest';
import type { HostInfo, RunnerRecord } from '../../core/agent-api/contract';
import { silentLogger } from '../../core/logger';
import { createWarmSizer } from '../../dispatcher/src/warm-sizer';
import { createFakeClock } from '../fakes/fake-clock';

const pool = (name: string, warm: { mode: 'fixed' | 'auto'; min: number; max: number }, hosts: string[]) => ({
  name,
  labels: [name],
  image: 'i',
  hosts: hosts.map((url) => ({ url, secret: 'x'.repeat(32), allowInsecure: false })),
  warm,
});
const info = (busy: number, draining = false): HostInfo => ({ id: 'h', version: 't', tartVersion: null, slots: { total: 2, busy, warm: 0, free: 2 - busy, suspect: 0 }, draining, slotCallbacks: false, pools: [], images: [] });

function setup(warm = { mode: 'auto' as const, min: 0, max: 2 }) {
  const clock = createFakeClock();
  const pushes: { host: string; pool: string; count: number; untilMs?: number; source?: string }[] = [];
  const agents = new Map(
    ['http://a:1', 'http://b:1', 'http://c:1'].map((host) => [host, { setWarmTarget: async (p: string, count: number, untilMs?: number, source?: string) => {
      pushes.push({ host, pool: p, count, untilMs, source });
      return { pool: p, baseline: 0, target: count, ready: 0, booting: 0 };
    } }]),
  );
  const sizer = createWarmSizer({ pools: [pool('mac', warm, ['http://a:1', 'http://b:1']), pool('linux', { mode: 'fixed', min: 0, max: 2 }, ['http://c:1'])], agents, clock, logger: silentLogger });
  return { clock, pushes, sizer };
}

describe('automatic warm sizing', () => {
  it('sizes from arrivals × hold time per host, clamped, pushed as auto with an expiry, at most once a minute', async () => {
    const { clock, pushes, sizer } = setup();
    // 30 jobs in the window (one every 30 s) held 120 s each: 4 runners busy, 2 per host.
    for (let i = 0; i < 30; i++) sizer.arrived('mac', i, clock.now() - i * 30_000);
    sizer.arrived('mac', 3, clock.now());
    sizer.arrived('linux', 99, clock.now());
    const hosts = [{ host: 'http://a:1', info: info(0) }, { host: 'http://b:1', info: info(1) }, { host: 'http://c:1', info: info(0) }];
    expect(await sizer.maybePush(hosts)).toEqual({ mac: { 'http://a:1': 2, 'http://b:1': 1 } });
    expect(pushes).toEqual([
      { host: 'http://a:1', pool: 'mac', count: 2, untilMs: clock.now() + 5 * 60_000, source: 'auto' },
      { host: 'http://b:1', pool: 'mac', count: 1, untilMs: clock.now() + 5 * 60_000, source: 'auto' },
    ]);
    expect(await sizer.maybePush(hosts)).toEqual({});
    // Quiet for a while: the window empties and the target falls to warm.min.
    clock.advance(16 * 60_000);
    expect(await sizer.maybePush(hosts)).toEqual({ mac: { 'http://a:1': 0, 'http://b:1': 0 } });
  });

  it('learns the hold time from finished runners, and skips draining hosts', async () => {
    const { clock, sizer } = setup({ mode: 'auto', min: 1, max: 8 });
    for (let i = 0; i < 60; i++) sizer.arrived('mac', i, clock.now() - i * 15_000);
    const gone = (name: string, seconds: number): RunnerRecord => ({
      name, pool: 'mac', labels: [], stage: 'gone', registrationLeftBehind: false, adopted: false,
      timestamps: { requested: new Date(clock.now() - seconds * 1000).toISOString(), gone: new Date(clock.now()).toISOString() },
    });
    sizer.observe([gone('tf-mac-j1a0', 600)]);
    sizer.observe([gone('tf-mac-j1a0', 600)]);
    // 60 jobs / 900 s × 600 s = 40 busy, 20 per host, clamped to 8 and to the host's 2 slots.
    const pushed = await sizer.maybePush([{ host: 'http://a:1', info: info(0) }, { host: 'http://b:1', info: info(0, true) }]);
    expect(pushed).toEqual({ mac: { 'http://a:1': 2 } });
  });
});
