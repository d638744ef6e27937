/**
 * The fake GitHub as every variant gets it: in process behind the in-process network, its clock the
 * simulated one (so the hourly primary limit and the per-minute secondary limit run in simulated
 * time), GitHub's limits for one identity (5,000 requests an hour; 900 points a minute per endpoint,
 * 100 concurrent), 512-bit JIT keys (GitHub's are 2,048: key generation is not what we measure).
 */
import type { Clock } from '../../core/clock';
import { createFakeGitHub, type FakeGitHub } from '../../test/fake-github/src/create-fake-github';
import type { InProcessNet } from './in-process-net';

export const GITHUB_ORIGIN = 'http://127.0.0.3:3000';
export const GITHUB_TOKEN = 'test-token';
export const ORG = 'acme';
export const REPO = 'acme/app';

export function createBenchGitHub(net: InProcessNet, clock: Clock): FakeGitHub {
  const github = createFakeGitHub({
    clock,
    publicUrl: GITHUB_ORIGIN,
    jitKeyBits: 512,
    // Runners send no lock renewals (runner-client.ts): no job is ever taken for lost.
    jobLostTimeoutMs: 24 * 3_600_000,
    primaryRateLimit: { limit: 5_000 },
    secondaryRateLimit: { pointsPerMinute: 900, maxConcurrent: 100 },
  });
  net.serve(GITHUB_ORIGIN, github.app);
  return github;
}

/** REST requests the fake answered: all of them, those refused by a rate limit (403/429), and the
 * 304s (conditional requests GitHub does not charge to the hourly limit). */
export function requestCounts(github: FakeGitHub): { total: number; throttled: number; notModified: number } {
  let total = 0;
  let throttled = 0;
  let notModified = 0;
  for (const [key, n] of github.requests) {
    total += n;
    if (/ (403|429)$/.test(key)) throttled += n;
    if (key.endsWith(' 304')) notModified += n;
  }
  return { total, throttled, notModified };
}
