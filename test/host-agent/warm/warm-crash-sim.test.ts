// kill -9 of a real agent process with a warm VM and a busy one (a runner on a former warm VM), on
// the tart simulator: after the restart every VM is adopted (the job) or torn down within 10 s, none
// is leaked or counted twice, and warm capacity is refilled.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isWarmVmName, parseName } from '../../../core/names';
import { killAgentProcesses, startAgentProcess } from '../../helpers/agent-process';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';

let env: SimEnv | undefined;
afterEach(async () => {
  await killAgentProcesses();
  await env?.close();
  env = undefined;
});

describe('warm capacity after a crash', () => {
  it('a restarted agent adopts the job on a former warm VM, tears the idle warm VM down within 10 s, and refills', async () => {
    env = await createSimEnv();
    const e = env;
    const config = e.config({ reconcileIntervalMs: 2_000, pools: [{ name: 'mac', image: 'base', labels: ['self-hosted', 'macos'], cpu: 4, memoryMb: 8192, warm: 1 }] });
    const stageOf = (name: string): string | undefined => {
      try {
        return (JSON.parse(readFileSync(path.join(config.stateDir, 'runners', `${name}.json`), 'utf8')) as { record: { stage: string } }).record.stage;
      } catch {
        return undefined;
      }
    };
    const running = async () => (await e.tart.list()).filter((vm) => vm.state === 'running' && parseName(vm.name)).map((vm) => vm.name).sort();

    const first = await startAgentProcess({ config, timing: { stopTimeoutSeconds: 2 } });
    await first.waitEvent('ready');
    // Ready = booted, SSH-ready and health-checked: its journal entry says ssh-ready.
    const readyWarm = async () => (await running()).find((n) => isWarmVmName(n) && stageOf(n) === 'ssh-ready');
    await waitFor('a ready warm VM', async () => (await readyWarm()) !== undefined, 30_000);
    const served = await readyWarm();

    e.github.enqueueRun({ jobs: [{ name: 'long-job', labels: ['self-hosted', 'macos', 'long'], durationMs: 15_000 }] });
    const jit = await e.mint('tf-mac-job1', ['self-hosted', 'macos', 'long']);
    first.send({ op: 'start', request: { name: 'tf-mac-job1', pool: 'mac', labels: ['self-hosted', 'macos', 'long'], jitConfig: jit } });
    await first.waitEvent('started');
    // The job runs on the warm VM; a refill boots beside it (two running: the 2-VM limit holds).
    await waitFor('a second VM running', async () => (await running()).length === 2, 30_000);
    const beforeKill = await running();
    expect(beforeKill).toContain(served);
    const idleWarm = beforeKill.find((n) => n !== served)!;
    expect(isWarmVmName(idleWarm)).toBe(true);

    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startAgentProcess({ config, timing: { stopTimeoutSeconds: 2, adoptPollMs: 300 } });
    const restartedAt = Date.now();
    await second.waitEvent('ready', 30_000);
    await waitFor('the idle warm VM torn down, the job adopted', async () => !(await e.tart.list()).some((vm) => vm.name === idleWarm) && (await running()).includes(served!), 10_000);
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    const record = () => (JSON.parse(readFileSync(path.join(config.stateDir, 'runners', 'tf-mac-job1.json'), 'utf8')) as { record: { adopted: boolean; vm?: string } }).record;
    await waitFor('the job adopted on its VM', () => record().adopted && record().vm === served, 5_000);
    // Never more than two running, and the job's VM is still the one it started on.
    expect((await running()).length).toBeLessThanOrEqual(2);
    await waitFor('the job done and its VM deleted, a fresh warm VM in its place', async () => {
      const now = await running();
      return !(await e.tart.list()).some((vm) => vm.name === served) && now.length === 1 && isWarmVmName(now[0]!) && now[0] !== idleWarm;
    }, 60_000);
  }, 180_000);
});
