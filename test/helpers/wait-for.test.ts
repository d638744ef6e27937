import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('checks often at first, then less and less (at most every 400 ms), and names what timed out', async () => {
    const at: number[] = [];
    const t0 = Date.now();
    await expect(waitFor('the moon', () => void at.push(Date.now() - t0), 1_500)).rejects.toThrow('timed out after 1500 ms waiting for the moon');
    // 50, 75, 113, 169, 253, 380, 400, 400…: about 8 checks in 1.5 s, not 30.
    expect(at.length).toBeGreaterThanOrEqual(5);
    expect(at.length).toBeLessThanOrEqual(12);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[0]!).toBeLessThan(Math.max(...gaps));
    expect(Math.max(...gaps)).toBeLessThan(500);
  });

  it('keeps a given interval, and returns the first truthy value', async () => {
    let n = 0;
    const t0 = Date.now();
    expect(await waitFor('three checks', () => (++n >= 3 ? n : undefined), 5_000, 20)).toBe(3);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
