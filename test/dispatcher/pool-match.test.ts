import { describe, expect, it } from 'vitest';
import { matchPool, poolServes, runnerLabels } from '../../dispatcher/src/pool-match';
import { formatRunnerName, parseRunnerName } from '../../dispatcher/src/runner-name';
import { RUNNER_NAME } from '../../host-agent/src/api/contract';

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

describe('runner names', () => {
  it('round-trips pool, job id and attempt and matches the agent contract', () => {
    const name = formatRunnerName('xcode-16', 123456789012, 2);
    expect(name).toBe('tf-xcode-16-j123456789012a2');
    expect(RUNNER_NAME.test(name)).toBe(true);
    expect(parseRunnerName(name)).toEqual({ pool: 'xcode-16', jobId: 123456789012, attempt: 2 });
  });

  it('ignores names that are not ours', () => {
    expect(parseRunnerName('mac-mini-1')).toBeUndefined();
    expect(parseRunnerName('tf-macos-abc')).toBeUndefined();
    expect(parseRunnerName('tf-macos-j1')).toBeUndefined();
  });

  it('refuses a pool that would make an invalid name', () => {
    expect(() => formatRunnerName('Bad_Pool', 1, 0)).toThrow(/must match/);
  });
});
