/** The status view from a fleet snapshot: every slot state, unreachable hosts, images per pool. */
import { describe, expect, it } from 'vitest';
import { hostInfoSchema, type HostInfo, type RunnerRecord } from '../../../core/agent-api/contract';
import type { FleetSnapshot } from '../../../dispatcher/src/fleet-snapshot';
import { createJobLog } from '../../../dispatcher/src/status/job-log';
import { buildStatus } from '../../../dispatcher/src/status/build-status';

const NOW = Date.parse('2026-01-01T00:10:00Z');

/** Through the contract's schema, so fields it defaults are filled as an agent's answer would be. */
function info(id: string, slots: HostInfo['slots'], draining: boolean, image: string): HostInfo {
  return hostInfoSchema.parse({ id, version: '1', tartVersion: '2.28.0', slots, draining, pools: [{ name: 'macos', image, labels: [], warm: 0 }], images: [image] });
}

function record(name: string, stage: RunnerRecord['stage'], requested: string): RunnerRecord {
  return { name, pool: 'macos', labels: [], stage, timestamps: { requested }, registrationLeftBehind: false, adopted: false };
}

describe('buildStatus', () => {
  it('draws busy, booting, warm, suspect, free and draining slots from the hosts’ own counts', () => {
    const snapshot: FleetSnapshot = {
      hosts: [
        { host: 'https://a:8420', info: info('mini-1', { total: 2, busy: 1, warm: 1, free: 0, suspect: 0 }, false, 'runner:15'), runners: [record('tf-macos-j5a0', 'running', '2026-01-01T00:09:30Z'), record('tf-macos-j4a0', 'gone', '2026-01-01T00:01:00Z')] },
        { host: 'https://b:8420', info: info('mini-2', { total: 2, busy: 1, warm: 0, free: 0, suspect: 1 }, false, 'runner:15'), runners: [record('tf-macos-j6a0', 'booting', '2026-01-01T00:09:55Z')] },
        { host: 'https://c:8420', info: info('mini-3', { total: 2, busy: 0, warm: 0, free: 2, suspect: 0 }, true, 'runner:16'), runners: [] },
        { host: 'https://d:8420', error: 'GET https://d:8420/v1/host did not finish within 1000 ms', runners: [] },
      ],
      github: { runners: { error: 'HTTP 502' }, rateLimitRemaining: 4000 },
    };
    const view = buildStatus(snapshot, createJobLog({ now: () => NOW }), ['macos', 'xcode'], NOW);
    expect(view.hosts.map((h) => [h.id ?? h.url, h.cells])).toEqual([
      ['mini-1', ['busy', 'warm']],
      ['mini-2', ['booting', 'suspect']],
      ['mini-3', ['draining', 'draining']],
      ['https://d:8420', []],
    ]);
    expect(view.hosts[3]?.error).toContain('did not finish');
    expect(view.totals).toEqual({ hosts: 4, reachable: 3, slots: 6, busy: 1, booting: 1, warm: 1, free: 0, suspect: 1, draining: 2 });
    expect(view.runners).toEqual([
      { host: 'mini-1', name: 'tf-macos-j5a0', pool: 'macos', jobId: 5, stage: 'running', ageSeconds: 30 },
      { host: 'mini-2', name: 'tf-macos-j6a0', pool: 'macos', jobId: 6, stage: 'booting', ageSeconds: 5 },
    ]);
    expect(view.queue).toEqual([
      { pool: 'macos', depth: 0, oldestWaitSeconds: null },
      { pool: 'xcode', depth: 0, oldestWaitSeconds: null },
    ]);
    // Two images in one pool: a rollout in progress.
    expect(view.images).toEqual([{ pool: 'macos', images: [{ image: 'runner:15', hosts: ['mini-1', 'mini-2'] }, { image: 'runner:16', hosts: ['mini-3'] }] }]);
    expect(view.github).toEqual({ registrations: null, error: 'HTTP 502', rateLimitRemaining: 4000 });
  });
});
