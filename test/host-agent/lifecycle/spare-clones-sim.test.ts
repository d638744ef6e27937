// Spare clones on the tart simulator (real `tart` processes, sshd guests, the runner stand-in and the
// fake GitHub): each runner boots the pool's stopped spare clone instead of cloning, the job succeeds,
// the next spare is cloned while it runs, and shutdown leaves nothing but the image.
import { describe, expect, it } from 'vitest';
import { isSpareVmName } from '../../../core/names';
import { runOneJob, useSimLifecycle, type SimLifecycle } from '../../helpers/sim-lifecycle';
import { waitFor } from '../../helpers/wait-for';

const sim = useSimLifecycle();
const pools = [{ name: 'mac', image: 'base', labels: ['self-hosted', 'macos'], cpu: 4, memoryMb: 8192, spareClones: 1 }];

async function spareReady(lc: SimLifecycle): Promise<void> {
  await waitFor('a spare clone of mac', async () => (await lc.service.hostInfo()).pools[0]?.spare === true, 30_000);
}

describe('spare clones (simulator)', () => {
  it('two runners in a row each boot a spare clone; the spare is stopped and holds no slot; shutdown deletes it', async (ctx) => {
    const lc = await sim.start(ctx, { config: { pools } });
    const served: string[] = [];
    for (const name of ['tf-mac-j1a0', 'tf-mac-j2a0']) {
      await spareReady(lc);
      const { done, jobId } = await runOneJob(lc, name, { durationMs: 300 }, 60_000);
      expect(done.failure).toBeUndefined();
      expect(done.jobResult).toBe('Succeeded');
      expect(lc.e.github.job(jobId)).toMatchObject({ conclusion: 'success' });
      expect(isSpareVmName(done.vm ?? '')).toBe(true);
      expect(Object.keys(done.timestamps)).toContain('cloning');
      served.push(done.vm!);
    }
    expect(new Set(served).size).toBe(2);
    await spareReady(lc);
    const vms = await lc.e.tart.list();
    const spares = vms.filter((vm) => isSpareVmName(vm.name));
    expect(spares).toHaveLength(1);
    expect(spares[0]).toMatchObject({ state: 'stopped' });
    expect(vms.some((vm) => served.includes(vm.name))).toBe(false);
    expect(lc.service.slotCounts()).toMatchObject({ busy: 0, free: 2 });
    await lc.service.shutdown(5_000);
    expect((await lc.e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
  }, 120_000);
});
