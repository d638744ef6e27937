import { describe, expect, it } from 'vitest';
import { trackQueuedJobs } from '../../../dispatcher/src/github/track-queued-jobs';
import { createJobLog } from '../../../dispatcher/src/status/job-log';
import { createFakeGitHubApi } from '../../fakes/fake-github-api';

const pools = [{ name: 'macos', labels: ['macOS'], image: 'img', hosts: [] }];

describe('trackQueuedJobs', () => {
  it('tells the tracker every listing of queued jobs a pool serves (poll-only mode fills the queue), and passes the rest through', async () => {
    const gh = createFakeGitHubApi();
    let now = 1_700_000_100_000;
    const tracker = createJobLog({ now: () => now });
    const github = trackQueuedJobs(gh.api, tracker, pools, { now: () => now });
    gh.addJob(1, ['self-hosted', 'macOS']);
    gh.addJob(2, ['windows']);
    expect((await github.listQueuedJobs()).map((j) => j.id)).toEqual([1, 2]);
    expect(tracker.queuedJobs()).toEqual([{ jobId: 1, pool: 'macos', createdAt: 1_700_000_001_000, seenAt: now }]);
    // Started elsewhere: gone from GitHub's queue, gone from the tracker's on the next listing.
    gh.jobs[0]!.status = 'in_progress';
    now += 1_000;
    await github.listQueuedJobs();
    expect(tracker.queuedJobs()).toEqual([]);
    expect(github.rateLimitRemaining()).toBe(4999);
    expect(await github.getJobStatus('acme/app', 1)).toBe('in_progress');
  });

  it('passes the reconciler\'s label filter through, so runs no pool serves stay cheap to list', async () => {
    const gh = createFakeGitHubApi();
    const seen: unknown[] = [];
    const list = gh.api.listQueuedJobs.bind(gh.api);
    gh.api.listQueuedJobs = (wanted) => {
      seen.push(wanted);
      return list(wanted);
    };
    const github = trackQueuedJobs(gh.api, createJobLog({ now: () => 0 }), pools, { now: () => 0 });
    const wanted = (labels: string[]): boolean => labels.includes('macOS');
    await github.listQueuedJobs(wanted);
    expect(seen).toEqual([wanted]);
  });
});
