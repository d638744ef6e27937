// The agent against the runner stand-in's run.sh exit-code paths (docs/reference/github-api.md §1,
// "How the runner starts, relaunches and stops": 1, 5 and unknown codes stop the runner with 0; 2, 3
// and 4 relaunch the listener) and a self-update before the first job, end to end on the tart
// simulator with the fake GitHub.
import { describe, expect, it, type TestContext } from 'vitest';
import { runOneJob, useSimLifecycle, type SimLifecycle } from '../../helpers/sim-lifecycle';

const sim = useSimLifecycle();

/** A simulated host whose runner stand-in gets `runnerEnv`, and a job deadline that fits a relaunch. */
const start = (ctx: TestContext, runnerEnv: Record<string, string>): Promise<SimLifecycle> =>
  sim.start(ctx, { env: runnerEnv, config: { deadlines: { cloneMs: 20_000, bootMs: 20_000, sshMs: 15_000, onlineMs: 20_000, jobMs: 90_000, teardownMs: 20_000 } } });

// Each case has its own simulated host; they run several at a time (mostly waiting for boots and
// the listener's relaunch delays).
describe.concurrent('runner run.sh exit codes, through the agent (simulator)', () => {
  it.for<[string, string]>([
    ['2 (retryable: relaunched after 5 s)', '2'],
    ['3 (self-update: relaunched once update.finished appears)', '3'],
    ['4 (ephemeral self-update)', '4'],
  ])('listener exit %s: the relaunched listener takes the job, which succeeds', { timeout: 120_000 }, async ([, code], ctx) => {
    const lc = await start(ctx, { TART_SIM_RUNNER_EXITS: code });
    const { done, jobId } = await runOneJob(lc, `tf-mac-x${code}`);
    expect(done.failure).toBeUndefined();
    expect(done.jobResult).toBe('Succeeded');
    expect(lc.e.github.job(jobId)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(lc.logger.text()).toContain('Restarting runner...');
    expect((await lc.e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
  });

  it.for<[string, string, string]>([
    ['1 (terminated)', '1', 'Runner listener exit with terminated error'],
    ['5 (session conflict)', '5', 'Runner listener exit with Session Conflict error'],
    ['42 (unknown)', '42', 'Exiting with unknown error code: 42'],
  ])('listener exit %s: run.sh exits 0, the runner never came online, and the failure says why', { timeout: 120_000 }, async ([, code, line], ctx) => {
    const lc = await start(ctx, { TART_SIM_RUNNER_EXITS: code });
    const { done, jobId } = await runOneJob(lc, `tf-mac-s${code}`);
    expect(done.failure).toMatchObject({ stage: 'registering', reason: 'register-failed' });
    expect(done.failure?.message).toContain(line);
    expect(done.failure?.message).toContain('runner exited with code 0');
    expect(done.jobResult).toBeUndefined();
    expect(lc.e.github.job(jobId)?.status).toBe('queued');
    expect((await lc.e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
    expect((await lc.service.hostInfo()).slots).toMatchObject({ busy: 0, free: 2 });
  });

  it('a runner that self-updates for 4 s before its first job still runs it; the update shows in the timeline', async (ctx) => {
    const lc = await start(ctx, { TART_SIM_RUNNER_UPDATE_MS: '4000' });
    const { done, jobId } = await runOneJob(lc, 'tf-mac-upd');
    expect(done.failure).toBeUndefined();
    expect(done.jobResult).toBe('Succeeded');
    expect(lc.e.github.job(jobId)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(lc.logger.text()).toContain('Runner update in progress, do not shutdown runner.');
    expect(lc.logger.text()).toContain("Current runner version: '2.331.0'");
    const online = Date.parse(done.timestamps.online ?? '');
    expect(Date.parse(done.timestamps.running ?? '') - online).toBeGreaterThanOrEqual(4_000);
  }, 120_000);
});
