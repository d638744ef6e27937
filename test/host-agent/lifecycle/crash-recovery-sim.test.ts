import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerRecord } from '../../../core/agent-api/contract';
import { parseName } from '../../../core/names';
import { killAgentProcesses, startAgentProcess } from '../../helpers/agent-process';
import { filesContaining } from '../../helpers/files-containing';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';

let env: SimEnv | undefined;
afterEach(async () => {
  await killAgentProcesses();
  await env?.close();
  env = undefined;
});

function journal(stateDir: string): Map<string, RunnerRecord> {
  const dir = path.join(stateDir, 'runners');
  const out = new Map<string, RunnerRecord>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    try {
      const entry = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { record: RunnerRecord };
      out.set(entry.record.name, entry.record);
    } catch {
      // Mid-rename: next poll.
    }
  }
  return out;
}

describe('crash safety: kill -9 of the agent during boot and during a job', () => {
  it('a restarted agent accounts for every managed VM within 10 s, finishes the adopted job, and never touches foreign VMs', async () => {
    // Three VMs run at once here (two runners and a developer's VM): lift the simulated Apple limit.
    env = await createSimEnv({ env: { TART_SIM_MAX_DARWIN_VMS: '3' } });
    const e = env;
    const config = e.config({ reconcileIntervalMs: 2_000 });
    // A foreign VM (name does not parse), running; and a managed orphan with no journal record.
    e.simTart(['clone', 'base', 'my-dev-vm']);
    e.simTart(['clone', 'base', 'tf-mac-orphan1']);
    // The booting runner boots slowly, so the kill lands mid-boot.
    e.setFaults('slow-boot@tf-mac-boot1=60000');

    const first = await startAgentProcess({ config, timing: { stopTimeoutSeconds: 2 } });
    await first.waitEvent('ready');
    e.github.enqueueRun({ jobs: [{ name: 'long-job', labels: ['self-hosted', 'macos', 'long'], durationMs: 12_000 }] });
    const jobJit = await e.mint('tf-mac-job1', ['self-hosted', 'macos', 'long']);
    const bootJit = await e.mint('tf-mac-boot1', ['self-hosted', 'macos', 'other']);
    first.send({ op: 'start', request: { name: 'tf-mac-job1', pool: 'mac', labels: ['self-hosted', 'macos', 'long'], jitConfig: jobJit } });
    await first.waitEvent('started');
    await waitFor('job1 running', () => journal(config.stateDir).get('tf-mac-job1')?.stage === 'running', 30_000);
    first.send({ op: 'start', request: { name: 'tf-mac-boot1', pool: 'mac', labels: ['self-hosted', 'macos', 'other'], jitConfig: bootJit } });
    await waitFor('boot1 booting', () => journal(config.stateDir).get('tf-mac-boot1')?.stage === 'booting', 30_000);

    first.child.kill('SIGKILL');
    await first.exited;
    // The foreign VM runs through all of this (started after the kill so no agent ever saw it start).
    const foreign = (await import('node:child_process')).spawn(e.tartBin, ['run', '--no-graphics', 'my-dev-vm'], { env: { ...process.env, TART_HOME: e.tartHome }, detached: true, stdio: 'ignore' });
    await waitFor('my-dev-vm running', async () => (await e.tart.list()).find((vm) => vm.name === 'my-dev-vm')?.state === 'running', 20_000);

    const second = await startAgentProcess({ config, timing: { stopTimeoutSeconds: 2, adoptPollMs: 300 } });
    const restartedAt = Date.now();
    await second.waitEvent('ready', 30_000);
    await waitFor(
      'every managed VM accounted for',
      async () => {
        const j = journal(config.stateDir);
        const vms = await e.tart.list();
        const job1 = j.get('tf-mac-job1');
        const boot1 = j.get('tf-mac-boot1');
        const orphan = j.get('tf-mac-orphan1');
        const managedVms = vms.filter((vm) => parseName(vm.name)).map((vm) => vm.name).sort();
        const liveRecords = [...j.values()].filter((r) => r.stage !== 'gone').map((r) => r.name).sort();
        return (
          job1?.adopted === true &&
          boot1?.stage === 'gone' &&
          orphan?.stage === 'gone' &&
          JSON.stringify(managedVms) === JSON.stringify(['tf-mac-job1']) &&
          JSON.stringify(liveRecords) === JSON.stringify(['tf-mac-job1'])
        );
      },
      10_000,
      100,
    );
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    const boot1 = journal(config.stateDir).get('tf-mac-boot1');
    expect(boot1?.failure).toMatchObject({ stage: 'booting', reason: 'agent-shutdown' });
    expect(boot1?.registrationLeftBehind).toBe(true);

    // The adopted job finishes, the guest powers off, the new agent tears the VM down.
    const job1 = await waitFor('job1 gone', () => (journal(config.stateDir).get('tf-mac-job1')?.stage === 'gone' ? journal(config.stateDir).get('tf-mac-job1') : undefined), 40_000);
    expect(job1.failure).toBeUndefined();
    expect(job1.adopted).toBe(true);
    expect(job1.jobResult).toBe('Succeeded');
    expect(e.github.jobs().find((j) => j.name === 'long-job')).toMatchObject({ status: 'completed', conclusion: 'success', runnerName: 'tf-mac-job1' });
    const names = (await e.tart.list()).map((vm) => vm.name).sort();
    expect(names).toEqual(['base', 'my-dev-vm']);
    expect((await e.tart.list()).find((vm) => vm.name === 'my-dev-vm')?.state).toBe('running');
    foreign.kill('SIGINT');

    // No secret in either agent's log or on disk.
    for (const jit of [jobJit, bootJit]) {
      expect(first.stderr()).not.toContain(jit);
      expect(second.stderr()).not.toContain(jit);
      expect(filesContaining(e.root, jit)).toEqual([]);
    }
    second.send({ op: 'shutdown', timeoutMs: 1_000 });
    await second.waitEvent('stopped', 30_000);
  }, 180_000);
});
