import { createFakeClock } from '../fakes/fake-clock';
import { describe, expect, it } from 'vitest';
import { start } from '../../action-src/start';
import type { ActionCore } from '../../action-src/core';
import type { ActionInputs } from '../../action-src/inputs';
import type { RunnerRecord } from '../../core/agent-api/contract';

const HOST = 'https://mac-1.example:8420';

function recorder(): ActionCore & { outputs: Record<string, string>; state: Record<string, string>; secrets: string[] } {
  const outputs: Record<string, string> = {};
  const state: Record<string, string> = {};
  const secrets: string[] = [];
  return {
    outputs,
    state,
    secrets,
    getInput: () => '',
    setSecret: (v) => void secrets.push(v),
    setOutput: (k, v) => (outputs[k] = v),
    saveState: (k, v) => (state[k] = v),
    getState: (k) => state[k] ?? '',
    debug: () => {},
    info: () => {},
    warning: () => {},
    summary: async () => {},
  };
}

const inputs = { pool: 'macos', count: 1, extraLabels: [], waitOnline: true, waitTimeoutSeconds: 30 } as unknown as ActionInputs;
const context = { runId: 11, runAttempt: 1, repository: 'acme/app' };
const record = (over: Partial<RunnerRecord>): RunnerRecord => ({ name: 'tf-macos-r11a1n1', pool: 'macos', labels: [], stage: 'requested', timestamps: {}, registrationLeftBehind: false, adopted: false, ...over });

function deps(records: RunnerRecord[]) {
  let polls = 0;
  const core = recorder();
  return {
    core,
    polls: () => polls,
    deps: {
      inputs,
      context,
      core,
      github: { generateJitConfig: async () => ({ runnerId: 5, encodedJitConfig: 'aml0' }) } as never,
      placer: {
        freeSlots: async () => 1,
        reserve: async () => HOST,
        reserveOn: async () => undefined,
        refresh: () => {},
        callsBack: async () => false,
        hostIds: () => new Map(),
        release: () => {},
        snapshot: async () => [],
        place: async () => ({ placed: true as const, host: HOST, record: record({}), duplicate: false }),
      },
      agents: new Map([[HOST, { getRunner: async () => records[Math.min(polls++, records.length - 1)] }]]),
      clock: createFakeClock({ autoAdvance: true }),
    },
  };
}

describe('start with wait-online', () => {
  it('counts a runner that came online and already finished its job between two polls', async () => {
    const d = deps([record({ stage: 'booting' }), record({ stage: 'gone', timestamps: { online: '2026-11-28T00:00:01Z' }, jobResult: 'Succeeded' })]);
    await expect(start(d.deps)).resolves.toHaveLength(1);
    expect(d.core.state['tartfleet-complete']).toBe('true');
  });

  it('fails for a runner that ended without ever coming online, naming the reason', async () => {
    const d = deps([record({ stage: 'failed', failure: { stage: 'booting', reason: 'ip-timeout', message: 'no IP in 120 s' } })]);
    await expect(start(d.deps)).rejects.toThrow("runner 'tf-macos-r11a1n1' on https://mac-1.example:8420 ended before it came online: ip-timeout no IP in 120 s");
    expect(d.core.state['tartfleet-complete']).toBeUndefined();
  });
});

describe('start through the shared start-a-runner use case', () => {
  function placing(outcome: { free: number; placed: boolean }) {
    const core = recorder();
    const calls: string[] = [];
    const github = {
      generateJitConfig: async ({ name }: { name: string }) => {
        calls.push(`mint ${name}`);
        return { runnerId: 77, encodedJitConfig: 'aml0' };
      },
      deleteRunner: async (id: number) => {
        calls.push(`delete ${id}`);
        return 'deleted' as const;
      },
      findRunnerByName: async () => undefined,
    };
    const placer = {
      freeSlots: async () => 1,
      reserve: async () => (outcome.free > 0 ? HOST : undefined),
      reserveOn: async () => undefined,
      refresh: () => {},
      callsBack: async () => false,
      hostIds: () => new Map(),
      release: () => calls.push('release'),
      snapshot: async () => [],
      place: async () =>
        outcome.placed ? { placed: true as const, host: HOST, record: record({}) } : { placed: false as const, reason: 'no_capacity' as const, tried: [HOST] },
    };
    const deps = { inputs: { ...inputs, waitOnline: false }, context, core, github: github as never, placer, agents: new Map(), clock: createFakeClock({ autoAdvance: true }) };
    return { core, calls, deps };
  }

  it('holds a slot before minting: with no slot anywhere nothing is registered', async () => {
    const d = placing({ free: 0, placed: false });
    await expect(start(d.deps)).rejects.toThrow("runner 1 of 1 ('tf-macos-r11a1n1') could not be placed (no_capacity): no host of pool 'macos' had a free slot");
    expect(d.calls).toEqual([]);
  });

  it('deletes a registration that no host took, at once, and masks its JIT config', async () => {
    const d = placing({ free: 1, placed: false });
    await expect(start(d.deps)).rejects.toThrow(`runner 1 of 1 ('tf-macos-r11a1n1') could not be placed (no_capacity): tried ${HOST}`);
    expect(d.calls).toEqual(['mint tf-macos-r11a1n1', 'delete 77']);
    expect(d.core.secrets).toContain('aml0');
    // The post step still knows of it (and finds it gone).
    expect(JSON.parse(d.core.state['tartfleet-runners'] ?? '[]')).toEqual([{ name: 'tf-macos-r11a1n1', runnerId: 77 }]);
  });
});
