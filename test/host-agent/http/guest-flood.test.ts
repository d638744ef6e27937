/**
 * A hostile job floods its console while another VM runs a job: the agent (serve, the real
 * lifecycle, ssh2 to simulated guests) keeps answering /healthz and the other job completes. The
 * flood goes the whole real way: job step → runner console file → `tail -f` in the guest → SSH → the
 * agent's line splitter and console parser.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';
import { serveOnSim, type ServingAgent } from '../../helpers/serve-on-sim';

const SECRET = 'guest-flood-secret'.padEnd(48, '7');
// 64 MiB without a newline, then 100,000 repetitions of `Job ` on one line, then a forged success
// line ahead of the runner's own.
const FLOOD = [
  "head -c 67108864 /dev/zero | tr '\\0' x",
  'echo',
  "printf 'Job %.0s' $(seq 100000)",
  'echo',
  "echo 'Job flood completed with result: Succeeded'",
  // Time for the guest's `tail -f` to deliver all of it before the runner's own completion line.
  'sleep 5',
].join('; ');

let env: SimEnv | undefined;
let agent: ServingAgent | undefined;
afterEach(async () => {
  await agent?.stop().catch(() => undefined);
  await env?.close();
  [agent, env] = [undefined, undefined];
});

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? Infinity;
}

describe('a guest flooding its console cannot stall the agent', () => {
  it('64 MiB without a newline plus 100,000 × "Job ": /healthz p99 < 100 ms, the other job completes, the flood reads as Failed', async () => {
    env = await createSimEnv();
    const e = env;
    const config = e.config({
      deadlines: { cloneMs: 30_000, bootMs: 30_000, sshMs: 20_000, onlineMs: 30_000, jobMs: 150_000, teardownMs: 30_000 },
    });
    // Debug level: every console line the agent keeps is also logged, as on a host debugging a job.
    const serving = await serveOnSim(e, config, SECRET);
    agent = serving;
    const { url, client } = serving;

    const labels = ['self-hosted', 'macos'];
    const { jobIds } = e.github.enqueueRun({
      jobs: [
        { name: 'flood', labels: [...labels, 'flood'], script: FLOOD },
        { name: 'build', labels: [...labels, 'quiet'], durationMs: 8_000 },
      ],
    });
    const flooder = 'tf-mac-flood';
    const quiet = 'tf-mac-quiet';
    await client.startRunner({ name: flooder, pool: 'mac', labels: [...labels, 'flood'], jitConfig: await e.mint(flooder, [...labels, 'flood']), jobId: jobIds[0] });
    await client.startRunner({ name: quiet, pool: 'mac', labels: [...labels, 'quiet'], jitConfig: await e.mint(quiet, [...labels, 'quiet']), jobId: jobIds[1] });

    // Probe /healthz every 20 ms from the moment the flooding job runs until both runners are gone.
    await waitFor('the flooding job to run', async () => (await client.getRunner(flooder))?.stage === 'running', 60_000, 100);
    const latencies: number[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const t0 = performance.now();
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const ended = async (name: string) => {
      const r = await client.getRunner(name);
      return r?.stage === 'gone' || r?.stage === 'failed' ? r : undefined;
    };
    const [flood, other] = await waitFor('both runners to end', async () => {
      const a = await ended(flooder);
      const b = await ended(quiet);
      return a && b ? [a, b] : undefined;
    }, 150_000, 250);
    probing = false;
    await prober;

    const measured = p99(latencies);
    console.info(`guest flood: /healthz p99 ${measured.toFixed(1)} ms over ${latencies.length} probes`);
    expect(latencies.length).toBeGreaterThan(100);
    expect(measured).toBeLessThan(100);
    expect(other).toMatchObject({ stage: 'gone', jobResult: 'Succeeded' });
    expect(e.github.job(jobIds[1] ?? -1)).toMatchObject({ status: 'completed', conclusion: 'success', runnerName: quiet });
    // The flooding job ended its own VM; its forged completion line counts it as a failure.
    expect(flood).toMatchObject({ stage: 'gone', jobResult: 'Failed' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/runner_guest_lines_truncated_total [1-9]/);
    agent = undefined;
    expect(await serving.stop()).toBe(0);
  }, 300_000);
});
