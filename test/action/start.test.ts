import { createFakeClock } from '../fakes/fake-clock';
import { describe, expect, it } from 'vitest';
import { start } from '../../action-src/start';
import type { ActionCore } from '../../action-src/core';
import type { ActionInputs } from '../../action-src/inputs';
import type { RunnerRecord } from '../../core/agent-api/contract';

const HOST = 'https://mac-1.example:8420';

function recorder(): ActionCore & { outputs: Record<string, string>; state: Record<string, string> } {
  const outputs: Record<string, string> = {};
  const state: Record<string, string> = {};
  return {
    outputs,
    state,
    getInput: () => '',
    setSecret: () => {},
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
