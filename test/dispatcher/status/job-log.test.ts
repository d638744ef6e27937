import { describe, expect, it } from 'vitest';
import type { RunnerRecord } from '../../../core/agent-api/contract';
import { createJobLog } from '../../../dispatcher/src/status/job-log';

function record(name: string, timestamps: RunnerRecord['timestamps']): RunnerRecord {
  return { name, pool: 'macos', labels: [], stage: 'running', timestamps, registrationLeftBehind: false, adopted: false };
}

describe('job tracker', () => {
  it('keeps at most maxQueued queued jobs and maxStarts starts, dropping the oldest', () => {
    let now = 1_000;
    const t = createJobLog({ now: () => now, maxQueued: 3, maxStarts: 2 });
    for (let id = 1; id <= 5; id++) t.queued({ jobId: id, pool: 'macos', createdAt: id });
    expect(t.queuedJobs().map((q) => q.jobId)).toEqual([3, 4, 5]);
    for (let id = 3; id <= 5; id++) t.started({ jobId: id, pool: 'macos', startedAt: 100 + id });
    expect(t.queuedJobs()).toEqual([]);
    expect(t.recentStarts().map((s) => [s.jobId, s.createdAt])).toEqual([
      [5, 5],
      [4, 4],
    ]);
    now = 2_000;
    // A queued delivery arriving after the start (out of order) does not requeue the job.
    t.queued({ jobId: 5, pool: 'macos', createdAt: 5 });
    expect(t.queuedJobs()).toEqual([]);
  });

  it('forgets jobs a reconcile listing no longer shows, but not ones seen after it began', () => {
    let now = 10;
    const t = createJobLog({ now: () => now });
    t.queued({ jobId: 1, pool: 'macos', createdAt: 1 });
    now = 20;
    t.queued({ jobId: 2, pool: 'macos', createdAt: 2 });
    now = 30;
    t.listed([{ jobId: 3, pool: 'xcode', createdAt: 3 }], 15);
    expect(t.queuedJobs().map((q) => q.jobId).sort()).toEqual([2, 3]);
    t.completed(2);
    expect(t.queuedJobs().map((q) => q.jobId)).toEqual([3]);
  });

  it('takes starts from runner records, with the queue time when it was seen queued', () => {
    const t = createJobLog({ now: () => 0 });
    t.queued({ jobId: 7, pool: 'macos', createdAt: Date.parse('2026-01-01T00:00:00Z') });
    t.sawRecords('mini-1', [
      record('tf-macos-j7a0', { requested: '2026-01-01T00:00:02Z', running: '2026-01-01T00:00:09Z' }),
      record('tf-macos-j8a0', { requested: '2026-01-01T00:00:03Z', running: '2026-01-01T00:00:08Z' }),
      record('tf-macos-j9a0', { requested: '2026-01-01T00:00:03Z' }),
    ]);
    expect(t.queuedJobs()).toEqual([]);
    expect(t.recentStarts()).toEqual([
      { jobId: 7, pool: 'macos', runner: 'tf-macos-j7a0', host: 'mini-1', startedAt: Date.parse('2026-01-01T00:00:09Z'), requestedAt: Date.parse('2026-01-01T00:00:02Z'), createdAt: Date.parse('2026-01-01T00:00:00Z') },
      { jobId: 8, pool: 'macos', runner: 'tf-macos-j8a0', host: 'mini-1', startedAt: Date.parse('2026-01-01T00:00:08Z'), requestedAt: Date.parse('2026-01-01T00:00:03Z') },
    ]);
  });
});
