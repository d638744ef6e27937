import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { filesContaining } from '../../helpers/files-containing';
import { startArgvSampler } from '../../helpers/proc-scan';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';
import { serveOnSim } from '../../helpers/serve-on-sim';

const SECRET = 'http-full-cycle-secret'.padEnd(48, '3');
let env: SimEnv | undefined;
let stop: ((signal: string) => void) | undefined;
afterEach(async () => {
  stop?.('SIGTERM');
  stop = undefined;
  await env?.close();
  env = undefined;
});

function promtool(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], { timeout: 30_000 }, (error, stdout, stderr) =>
      error && typeof error.code !== 'number' ? reject(error) : resolve(`${stdout}${stderr}`),
    );
    child.stdin?.end(text);
  });
}

describe('full cycle through the signed HTTP API (serve, real lifecycle, simulator, fake GitHub)', () => {
  it('POST /v1/runners → job succeeds → VM and runner gone; metrics count it; the JIT config is in no log, argv or file', async () => {
    env = await createSimEnv();
    const e = env;
    const agent = await serveOnSim(e, e.config(), SECRET);
    stop = (signal) => void agent.stop(signal);
    const { url, client } = agent;

    const { jobIds } = e.github.enqueueRun({ jobs: [{ name: 'build', labels: ['self-hosted', 'macos'], durationMs: 1_000 }] });
    const name = 'tf-mac-http1';
    const jit = await e.mint(name, ['self-hosted', 'macos']);
    const sampler = startArgvSampler(jit);

    const accepted = await client.startRunner({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jit, jobId: jobIds[0] });
    expect(accepted).toMatchObject({ name, stage: 'requested' });
    await expect(client.startRunner({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jit })).rejects.toMatchObject({ status: 409, code: 'conflict' });

    const done = await waitFor('the runner to be gone', async () => {
      const r = await client.getRunner(name);
      return r?.stage === 'gone' || r?.stage === 'failed' ? r : undefined;
    }, 60_000, 200);
    const scan = sampler.stop();
    expect(done).toMatchObject({ stage: 'gone', jobResult: 'Succeeded', registrationLeftBehind: false });
    expect(e.github.job(jobIds[0] ?? -1)).toMatchObject({ status: 'completed', conclusion: 'success', runnerName: name });
    expect((await client.host()).slots).toMatchObject({ busy: 0, free: 2 });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('runner_jobs_total{status="succeeded"} 1');
    expect(metrics).toContain('runner_vm_boot_seconds_count{pool="mac"} 1');
    expect(metrics).toContain('runner_active_vms{host="test-host"} 0');
    expect(metrics).toContain('agent_http_requests_total{method="POST",route="/v1/runners",status="202"} 1');
    expect(metrics).toContain('agent_http_requests_total{method="POST",route="/v1/runners",status="409"} 1');
    expect(metrics).toMatch(/runner_stage_duration_seconds_count\{stage="running"\} 1/);
    expect(await promtool(metrics)).toBe('');

    stop = undefined;
    expect(await agent.stop()).toBe(0);

    const logs = agent.logs();
    expect(logs).toContain('"runner":"tf-mac-http1"');
    expect(logs).toContain('"stage":"running"');
    expect(logs).not.toContain(jit);
    expect(scan.samples).toBeGreaterThan(10);
    expect(scan.hits).toEqual([]);
    expect(filesContaining(e.root, jit)).toEqual([]);
  }, 120_000);
});
