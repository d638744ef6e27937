import { AgentClientError, type AgentClient } from '../../core/agent-api/client';
import type { HostInfo, RunnerRecord, StartRunnerRequest } from '../../core/agent-api/contract';

export interface FakeAgentOptions {
  total?: number;
  /** 'ok' | answer 503 | never answer | connection refused */
  mode?: 'ok' | 'no_slot' | 'hang' | 'down';
  draining?: boolean;
  /** Ready warm VMs per pool (each holds one of `total` slots until a runner takes it). */
  warm?: Record<string, number>;
  /** Reports freed slots to the dispatcher (HostInfo.slotCallbacks). */
  slotCallbacks?: boolean;
}

/** An agent with slots and records, and the failure modes placement must survive. */
export function createFakeAgent(baseUrl: string, options: FakeAgentOptions = {}) {
  const state = { mode: options.mode ?? 'ok', total: options.total ?? 2, draining: options.draining ?? false };
  const records = new Map<string, RunnerRecord>();
  const started: StartRunnerRequest[] = [];
  const canceled: string[] = [];
  let hostCalls = 0;
  const busy = () => [...records.values()].filter((r) => r.stage !== 'gone' && r.stage !== 'failed').length;
  async function gate(): Promise<void> {
    if (state.mode === 'hang') await new Promise(() => {});
    if (state.mode === 'down') throw new AgentClientError(0, 'network', `GET ${baseUrl}/v1/host failed: connect ECONNREFUSED`);
  }
  const client: AgentClient = {
    baseUrl,
    async host(): Promise<HostInfo> {
      hostCalls++;
      await gate();
      const b = busy();
      const warm = Object.values(options.warm ?? {}).reduce((sum, n) => sum + n, 0);
      return {
        id: baseUrl,
        version: 'test',
        tartVersion: '2.28.0',
        slots: { total: state.total, busy: b, warm, free: Math.max(0, state.total - b - warm), suspect: 0 },
        draining: state.draining,
        slotCallbacks: options.slotCallbacks ?? false,
        pools: Object.entries(options.warm ?? {}).map(([name, n]) => ({ name, image: 'i', labels: [name], warm: n, warmTarget: n, warmReady: n, warmBooting: 0 })),
        images: [],
      };
    },
    async startRunner(request) {
      await gate();
      if (state.mode === 'no_slot' || busy() >= state.total) throw new AgentClientError(503, 'no_slot', `POST ${baseUrl}/v1/runners: no free slot`, 5);
      if (records.has(request.name)) throw new AgentClientError(409, 'conflict', `POST ${baseUrl}/v1/runners: runner ${request.name} exists`);
      started.push(request);
      const record: RunnerRecord = { name: request.name, pool: request.pool, labels: request.labels, stage: 'requested', timestamps: {}, registrationLeftBehind: false, adopted: false };
      records.set(request.name, record);
      return record;
    },
    async listRunners() {
      await gate();
      return [...records.values()];
    },
    async getRunner(name) {
      return records.get(name);
    },
    async cancelRunner(name) {
      canceled.push(name);
      const r = records.get(name);
      if (!r) return false;
      r.stage = 'gone';
      return true;
    },
    async drain() {
      state.draining = true;
      return client.host();
    },
    async resume() {
      state.draining = false;
      return client.host();
    },
  };
  return { client, state, records, started, canceled, hostCalls: () => hostCalls };
}
