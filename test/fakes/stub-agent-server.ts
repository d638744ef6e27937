import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { HostInfo, RunnerRecord, StartRunnerRequest } from '../../core/agent-api/contract';
import { createApp } from '../../host-agent/src/app';
import { StartRejectedError, type RunnerService } from '../../host-agent/src/service';
import { silentLogger } from '../../core/logger';

/**
 * The agent's real HTTP app (HMAC auth, validation, error shape) over a stub RunnerService that
 * only records what it was asked to start. Lets dispatcher tests cross the real wire before, and
 * independently of, the VM lifecycle.
 */
export async function startStubAgentServer(options: { secret: string; slots: number; hostId?: string; refuseStarts?: boolean }) {
  const records = new Map<string, RunnerRecord>();
  const started: StartRunnerRequest[] = [];
  /** Start requests refused with 503 (`refuseStarts`: reports free slots, then refuses — a lost race). */
  const refused: string[] = [];
  const state = { slots: options.slots, draining: false };
  const active = () => [...records.values()].filter((r) => r.stage !== 'gone' && r.stage !== 'failed').length;
  const service: RunnerService = {
    async setWarmTarget(pool, count) {
      return { pool, baseline: 0, target: count, ready: 0, booting: 0 };
    },
    start(request) {
      if (options.refuseStarts) {
        refused.push(request.name);
        throw new StartRejectedError('no_slot', 'no free slot', 5);
      }
      if (records.has(request.name)) throw new StartRejectedError('conflict', `runner ${request.name} exists`);
      if (active() >= state.slots) throw new StartRejectedError('no_slot', 'no free slot', 5);
      started.push(request);
      const record: RunnerRecord = { name: request.name, pool: request.pool, labels: request.labels, stage: 'requested', timestamps: { requested: new Date().toISOString() }, registrationLeftBehind: false, adopted: false, ...(request.jobId !== undefined ? { jobId: request.jobId } : {}) };
      records.set(request.name, record);
      return record;
    },
    list: () => [...records.values()],
    get: (name) => records.get(name),
    async cancel(name) {
      const r = records.get(name);
      if (!r) return false;
      r.stage = 'gone';
      return true;
    },
    drain: () => void (state.draining = true),
    resume: () => void (state.draining = false),
    async hostInfo(): Promise<HostInfo> {
      const busy = active();
      return { id: options.hostId ?? 'stub', version: 'stub', tartVersion: null, slots: { total: state.slots, busy, warm: 0, free: Math.max(0, state.slots - busy), suspect: 0 }, draining: state.draining, slotCallbacks: false, pools: [], images: [] };
    },
    async shutdown() {},
  };
  const app = createApp({ service, config: { secrets: [options.secret], hostId: options.hostId ?? 'stub' }, registry: new Registry(), logger: silentLogger, clock: { now: () => Date.now() } });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    records,
    started,
    refused,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
