import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatName, isRunRunnerName, isSpareVmName, isWarmVmName, jobRunnerName, parseJobRunnerName, parseName, runRunnerName, RUNNER_NAME, spareVmName, warmVmName } from '../../core/names';

describe('runner and VM names', () => {
  it('round-trips pool and id, including pools with dashes', () => {
    expect(formatName('mac-m2', 'a1b2')).toBe('tf-mac-m2-a1b2');
    expect(parseName('tf-mac-m2-a1b2')).toEqual({ pool: 'mac-m2', id: 'a1b2' });
    const pool = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/);
    const id = fc.stringMatching(/^[a-z0-9]{1,40}$/);
    fc.assert(
      fc.property(pool, id, (p, i) => {
        const name = formatName(p, i);
        expect(RUNNER_NAME.test(name)).toBe(true);
        expect(parseName(name)).toEqual({ pool: p, id: i });
      }),
    );
  });

  it('refuses names the agent did not make', () => {
    for (const name of ['tahoe-base', 'tf-', 'tf-mac', 'tf-mac-', 'TF-mac-1', 'tf-mac-1/../x', 'ghcr.io/cirruslabs/macos:latest', 'tf-mac-a b', 'xtf-mac-1', 'tf-mac-ab-']) {
      expect(parseName(name), name).toBeUndefined();
    }
  });

  it('throws on parts that would not parse back, naming them', () => {
    expect(() => formatName('Mac', '1')).toThrow(/got pool 'Mac' and id '1'/);
    expect(() => formatName('mac', 'a-b')).toThrow(/id 'a-b'/);
  });
});

describe('job runner names', () => {
  it('round-trips pool, job id and attempt and matches the agent contract', () => {
    const name = jobRunnerName('xcode-16', 123456789012, 2);
    expect(name).toBe('tf-xcode-16-j123456789012a2');
    expect(RUNNER_NAME.test(name)).toBe(true);
    expect(parseJobRunnerName(name)).toEqual({ pool: 'xcode-16', jobId: 123456789012, attempt: 2 });
  });

  it('ignores names that are not ours', () => {
    expect(parseJobRunnerName('mac-mini-1')).toBeUndefined();
    expect(parseJobRunnerName('tf-macos-abc')).toBeUndefined();
    expect(parseJobRunnerName('tf-macos-j1')).toBeUndefined();
  });

  it('refuses a pool that would make an invalid name', () => {
    expect(() => jobRunnerName('Bad_Pool', 1, 0)).toThrow(/must match/);
  });
});

describe('run runner and warm VM names', () => {
  it('derives names from the run and tells them apart from job runners and warm VMs', () => {
    const name = runRunnerName('mac', 42, 2, 3);
    expect(name).toBe('tf-mac-r42a2n3');
    expect(isRunRunnerName(name, 'mac', 42, 2)).toBe(true);
    expect(isRunRunnerName(name, 'mac', 42, 1)).toBe(false);
    expect(isRunRunnerName('tf-mac-r42a2n3x', 'mac', 42, 2)).toBe(false);
    expect(parseJobRunnerName(name)).toBeUndefined();
    const warm = warmVmName('mac', '0a1b2c3d4e');
    expect(parseName(warm)).toEqual({ pool: 'mac', id: 'w0a1b2c3d4e' });
    expect(isWarmVmName(warm)).toBe(true);
    expect(isWarmVmName(name)).toBe(false);
    expect(isWarmVmName(jobRunnerName('mac', 1, 0))).toBe(false);
  });

  it('names spare clones tf-<pool>-c<hex>, apart from warm VMs and runners', () => {
    const spare = spareVmName('mac-arm', '0a1b2c3d4e');
    expect(spare).toBe('tf-mac-arm-c0a1b2c3d4e');
    expect(parseName(spare)).toEqual({ pool: 'mac-arm', id: 'c0a1b2c3d4e' });
    expect(isSpareVmName(spare)).toBe(true);
    expect(isWarmVmName(spare)).toBe(false);
    expect(isSpareVmName(warmVmName('mac', '0a1b2c3d4e'))).toBe(false);
    expect(isSpareVmName(jobRunnerName('mac', 1, 0))).toBe(false);
    expect(isSpareVmName('cfoo')).toBe(false);
  });
});
