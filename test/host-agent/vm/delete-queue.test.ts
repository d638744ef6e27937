import { describe, expect, it } from 'vitest';
import { createDeleteQueue, DeleteBacklogFullError } from '../../../host-agent/src/vm/delete-queue';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
};

describe('delete queue', () => {
  it('runs at most `concurrency` deletes, the rest in order, caps the waiting ones and says when one stops waiting', async () => {
    let shrunk = 0;
    const q = createDeleteQueue({ concurrency: 2, maxWaiting: 1, onWaitingShrunk: () => (shrunk += 1) });
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) => q.run(async () => {
      started.push(i);
      await g.opened;
      return i;
    }));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect({ running: q.running(), waiting: q.waiting() }).toEqual({ running: 2, waiting: 1 });
    await expect(q.run(async () => 9)).rejects.toBeInstanceOf(DeleteBacklogFullError);
    gates[1]?.open();
    expect(await runs[1]).toBe(1);
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(shrunk).toBe(1);
    expect({ running: q.running(), waiting: q.waiting() }).toEqual({ running: 2, waiting: 0 });
    gates[0]?.open();
    gates[2]?.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(q.running()).toBe(0);
    // A failed delete frees its turn too.
    await expect(q.run(async () => Promise.reject(new Error('busy')))).rejects.toThrow('busy');
    expect(q.running()).toBe(0);
  });
});
