import { describe, expect, it } from 'vitest';
import { matchPool, poolServes, runnerLabels } from '../../dispatcher/src/pool-match';

const macos = { name: 'macos', labels: ['macOS', 'ARM64'] };
const xcode = { name: 'xcode-16', labels: ['macos', 'xcode-16'] };

describe('pool matching', () => {
  it('serves a job when every job label is in the pool, case-insensitively, self-hosted included', () => {
    expect(poolServes(macos, ['self-hosted', 'macos', 'arm64'])).toBe(true);
    expect(poolServes(macos, ['SELF-HOSTED', 'MacOS'])).toBe(true);
    expect(poolServes(macos, ['self-hosted', 'macos', 'gpu'])).toBe(false);
    expect(poolServes(macos, ['ubuntu-latest'])).toBe(false);
    expect(poolServes(macos, [])).toBe(false);
  });

  it('picks the first pool in config order that serves the job', () => {
    expect(matchPool([macos, xcode], ['macos'])?.name).toBe('macos');
    expect(matchPool([macos, xcode], ['xcode-16'])?.name).toBe('xcode-16');
    expect(matchPool([macos, xcode], ['linux'])).toBeUndefined();
  });

  it('registers runners with self-hosted plus the pool labels, once each', () => {
    expect(runnerLabels({ labels: ['Self-Hosted', 'macOS'] })).toEqual(['self-hosted', 'macOS']);
  });
});
