import { describe, expect, it } from 'vitest';
import { DispatcherError } from '../../dispatcher/src/errors';
import { silentLogger } from '../../core/logger';
import { noopMetrics } from '../../dispatcher/src/metrics';
import { createPlacer } from '../../dispatcher/src/placement';
import { createRunnerStarter } from '../../dispatcher/src/start-runner';
import { createFakeAgent } from '../fakes/fake-agent';
import { createFakeClock } from '../fakes/fake-clock';
import { createFakeGitHubApi } from '../fakes/fake-github-api';

const pool = { name: 'macos', labels: ['macos'], image: 'img', hosts: [] };

function setup(total = 2) {
  const gh = createFakeGitHubApi();
  const agent = createFakeAgent('http://127.0.0.1:1', { total });
  const clock = createFakeClock({ autoAdvance: true });
  const placer = createPlacer({ agents: new Map([[agent.client.baseUrl, agent.client]]), poolHosts: new Map([['macos', [agent.client.baseUrl]]]), clock, cacheMs: 0, timeoutMs: 200 });
  const start = createRunnerStarter({ github: gh.api, placer, metrics: noopMetrics, logger: silentLogger, clock });
  return { gh, agent, start };
}

describe('starting a runner', () => {
  it('mints tf-<pool>-j<job>a<attempt> with the pool labels and places it', async () => {
    const { gh, agent, start } = setup();
    const r = await start({ pool, jobId: 42, attempt: 0, via: 'webhook' });
    expect(r).toEqual({ outcome: 'started', name: 'tf-macos-j42a0', host: 'http://127.0.0.1:1' });
    expect(gh.byName('tf-macos-j42a0')).toBeDefined();
    expect(agent.started[0]).toMatchObject({ name: 'tf-macos-j42a0', pool: 'macos', labels: ['self-hosted', 'macos'], jobId: 42 });
    expect(Buffer.from(agent.started[0]!.jitConfig, 'base64').toString()).toBe('jit-tf-macos-j42a0');
  });

  it('treats a 409 as a duplicate handled elsewhere and places nothing', async () => {
    const { gh, agent, start } = setup();
    await start({ pool, jobId: 42, attempt: 0, via: 'webhook' });
    const again = await start({ pool, jobId: 42, attempt: 0, via: 'webhook' });
    expect(again.outcome).toBe('duplicate');
    expect(agent.started).toHaveLength(1);
    expect(gh.runners.size).toBe(1);
  });

  it('survives a 5xx that created the runner anyway: cleans it up, retries under the next name', async () => {
    const { gh, agent, start } = setup();
    gh.mintFailures.push({ error: new DispatcherError('github', 'HTTP 502', true, 502), createAnyway: true });
    const r = await start({ pool, jobId: 7, attempt: 0, via: 'webhook' });
    expect(r).toMatchObject({ outcome: 'started', name: 'tf-macos-j7a1' });
    expect(gh.byName('tf-macos-j7a0')).toBeUndefined();
    expect([...gh.runners.values()].map((x) => x.name)).toEqual(['tf-macos-j7a1']);
    expect(agent.started).toHaveLength(1);
  });

  it('gives up after three failed mints and leaves nothing registered', async () => {
    const { gh, agent, start } = setup();
    for (let i = 0; i < 3; i++) gh.mintFailures.push({ error: new DispatcherError('github', 'HTTP 500', true, 500), createAnyway: i === 1 });
    const r = await start({ pool, jobId: 7, attempt: 0, via: 'reconciler' });
    expect(r.outcome).toBe('failed');
    expect(gh.runners.size).toBe(0);
    expect(agent.started).toHaveLength(0);
  });

  it('does not mint when no host has a free slot', async () => {
    const { gh, start } = setup(0);
    expect((await start({ pool, jobId: 1, attempt: 0, via: 'webhook' })).outcome).toBe('no_capacity');
    expect(gh.calls).toEqual([]);
  });

  it('deletes the new registration when the host already had a VM by that name', async () => {
    const { gh, agent, start } = setup();
    agent.records.set('tf-macos-j3a0', { name: 'tf-macos-j3a0', pool: 'macos', labels: [], stage: 'gone', timestamps: {}, registrationLeftBehind: false, adopted: false });
    const r = await start({ pool, jobId: 3, attempt: 0, via: 'webhook' });
    expect(r.outcome).toBe('duplicate');
    expect(gh.runners.size).toBe(0);
    expect(agent.started).toHaveLength(0);
  });

  it('mints no more registrations than there are free slots in a concurrent burst', async () => {
    const { gh, agent, start } = setup(2);
    const results = await Promise.all([1, 2, 3, 4, 5].map((jobId) => start({ pool, jobId, attempt: 0, via: 'webhook' })));
    expect(results.filter((r) => r.outcome === 'started')).toHaveLength(2);
    expect(results.filter((r) => r.outcome === 'no_capacity')).toHaveLength(3);
    expect(gh.calls.filter((c) => c.startsWith('mint'))).toHaveLength(2);
    expect(agent.started).toHaveLength(2);
  });

  it('deletes a registration that no host took', async () => {
    const { gh, agent, start } = setup(1);
    // The host looks free but refuses the POST (its slot went to someone else meanwhile).
    agent.client.startRunner = async () => {
      const { AgentClientError } = await import('../../core/agent-api/client');
      throw new AgentClientError(503, 'no_slot', 'no slot', 5);
    };
    const r = await start({ pool, jobId: 9, attempt: 0, via: 'webhook' });
    expect(r.outcome).toBe('no_capacity');
    expect(gh.runners.size).toBe(0);
    expect(gh.calls.some((c) => c.startsWith('delete '))).toBe(true);
  });

  it('asks stillWanted once a slot is held; a no gives the slot back and mints nothing', async () => {
    const { gh, agent, start } = setup(1);
    const r = await start({ pool, jobId: 11, attempt: 0, via: 'webhook', stillWanted: () => Promise.resolve(false) });
    expect(r.outcome).toBe('not_wanted');
    expect(gh.calls).toEqual([]);
    // The slot is free again for the next job.
    expect((await start({ pool, jobId: 12, attempt: 0, via: 'webhook', stillWanted: () => Promise.resolve(true) })).outcome).toBe('started');
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j12a0']);
  });

  it('does not ask stillWanted when no host has a slot, and gives the slot back when it throws', async () => {
    const none = setup(0);
    let asked = 0;
    const r = await none.start({ pool, jobId: 13, attempt: 0, via: 'webhook', stillWanted: () => (asked++, Promise.resolve(true)) });
    expect(r.outcome).toBe('no_capacity');
    expect(asked).toBe(0);
    const one = setup(1);
    await expect(one.start({ pool, jobId: 14, attempt: 0, via: 'webhook', stillWanted: () => Promise.reject(new Error('GitHub down')) })).rejects.toThrow('GitHub down');
    expect((await one.start({ pool, jobId: 15, attempt: 0, via: 'webhook' })).outcome).toBe('started');
  });
});
