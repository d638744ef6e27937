// The simulator must stay out of the way of what it tests: many VMs at once on two cores, and a
// fast `tart list`. The precise list timing lives in bench/sim-list.ts; this bound is generous.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sshConnect, sshExec } from '../contract/tart/ssh-exec';
import { TartHarness, type Background } from '../contract/tart/tart-harness';

describe('tart simulator at scale', () => {
  let h: TartHarness;
  beforeEach(() => {
    h = new TartHarness({ TART_SIM_MAX_DARWIN_VMS: '20', TART_SIM_BOOT_MS: '1000' });
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('runs 20 VMs at once (limit raised): each boots, answers SSH on its own address, and stops cleanly', async () => {
    await h.base();
    const names = Array.from({ length: 20 }, (_, i) => `vm-${String(i).padStart(2, '0')}`);
    for (const name of names) await h.ok(['clone', 'base', name]);
    const runs = new Map<string, Background>(names.map((name) => [name, h.spawn(['run', '--no-graphics', name])]));
    const ips = await Promise.all(names.map(async (name) => (await h.ok(['ip', '--wait', '120', name])).stdout.trim()));
    expect(new Set(ips).size).toBe(20);
    const homes = await Promise.all(
      ips.map(async (ip) => {
        const ssh = await sshConnect(ip, {}, 120_000);
        try {
          const r = await sshExec(ssh, 'echo "$HOME"');
          expect(r.code).toBe(0);
          return r.stdout.trim();
        } finally {
          ssh.end();
        }
      }),
    );
    expect(homes.map((home) => home.split('/').at(-4))).toEqual(names);
    const rows = JSON.parse((await h.ok(['list', '--format', 'json'])).stdout) as { Name: string; State: string }[];
    expect(rows.filter((r) => r.State === 'running').map((r) => r.Name)).toEqual(names);
    for (const name of names) await h.ok(['stop', name]);
    for (const [name, run] of runs) {
      const done = await run.exited;
      expect([name, done.code, done.stdout, done.stderr]).toEqual([name, 0, 'Stopping VM...\n', '']);
    }
  }, 240_000);

  it('clones 12 VMs concurrently: all succeed, each with its own MAC', async () => {
    await h.base();
    const names = Array.from({ length: 12 }, (_, i) => `c-${i}`);
    const results = await Promise.all(names.map((name) => h.tart(['clone', 'base', name])));
    expect(results.map((r) => [r.code, r.stderr])).toEqual(names.map(() => [0, '']));
    const macs = names.map((name) => (JSON.parse(readFileSync(path.join(h.home, 'vms', name, 'config.json'), 'utf8')) as { macAddress: string }).macAddress);
    expect(new Set(macs).size).toBe(12);
  }, 120_000);

  it('lists 50 VMs as JSON in well under a second', async () => {
    await h.base();
    for (let i = 1; i < 50; i += 7) {
      await Promise.all(Array.from({ length: Math.min(7, 50 - i) }, (_, j) => h.ok(['clone', 'base', `vm-${i + j}`])));
    }
    await h.ok(['list', '--format', 'json']);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await h.ok(['list', '--format', 'json']);
      expect((JSON.parse(r.stdout) as unknown[]).length).toBe(50);
      times.push(r.ms);
    }
    times.sort((a, b) => a - b);
    expect(times[2]).toBeLessThan(1000);
  }, 120_000);
});
