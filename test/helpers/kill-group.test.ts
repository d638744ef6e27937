import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killGroup } from './kill-group';
import { waitFor } from './wait-for';

const spawned: ChildProcess[] = [];
afterEach(() => {
  for (const c of spawned.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function detached(script: string): ChildProcess {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  spawned.push(child);
  return child;
}

const exited = (c: ChildProcess): Promise<void> => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe('killGroup', () => {
  it('signals a group whose leader has exited while members remain', async () => {
    const leader = detached('sleep 30 & echo $!');
    let out = '';
    leader.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await exited(leader);
    const member = Number(await waitFor('the member pid', () => out.trim() || undefined, 5_000));
    expect(alive(member)).toBe(true);
    expect(killGroup(leader)).toBe(true);
    await waitFor('the member killed', () => !alive(member), 5_000);
  });

  it('leaves alone a newcomer leading a group with the old id (its pid was recycled)', async () => {
    // The newcomer: a process leading its own group. Our old leader, reaped, had the same id.
    const newcomer = detached('sleep 30');
    await waitFor('the newcomer running', () => newcomer.pid !== undefined && alive(newcomer.pid), 5_000);
    const reapedLeader = { pid: newcomer.pid, exitCode: 0, signalCode: null };
    expect(killGroup(reapedLeader)).toBe(false);
    expect(alive(newcomer.pid!)).toBe(true);
  });

  it('does nothing for a group that is gone', async () => {
    const leader = detached('exit 0');
    await exited(leader);
    expect(killGroup(leader)).toBe(false);
  });
});
