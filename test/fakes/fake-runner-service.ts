import type { HostInfo, RunnerRecord, StartRunnerRequest } from '../../core/agent-api/contract';
import { StartRejectedError, WarmTargetError, type RunnerService } from '../../host-agent/src/service';

/** In-memory RunnerService for HTTP tests: real slot, duplicate and drain rules, no VMs. Keeps the
 * JIT configs it received so tests can check they never leak into responses or logs. */
export function createFakeRunnerService(options: { slots?: number; pools?: string[] } = {}) {
  const total = options.slots ?? 2;
  const pools = options.pools ?? ['macos'];
  const records = new Map<string, RunnerRecord>();
  const jitConfigs: string[] = [];
  let draining = false;
  const calls: string[] = [];
  const warm = new Map<string, number>();
  const busy = () => [...records.values()].filter((r) => r.stage !== 'gone' && r.stage !== 'failed').length;

  const service = {
    start(request: StartRunnerRequest): RunnerRecord {
      calls.push(`start ${request.name}`);
      if (draining) throw new StartRejectedError('draining', 'host is draining; not taking new runners');
      if (!pools.includes(request.pool)) throw new StartRejectedError('unknown_pool', `pool '${request.pool}' is not configured on this host, expected one of: ${pools.join(', ')}`);
      if (records.has(request.name)) throw new StartRejectedError('conflict', `runner '${request.name}' already exists on this host`);
      if (busy() >= total) throw new StartRejectedError('no_slot', `all ${total} VM slots are busy`, 20);
      jitConfigs.push(request.jitConfig);
      const record: RunnerRecord = {
        name: request.name,
        pool: request.pool,
        labels: request.labels,
        ...(request.jobId === undefined ? {} : { jobId: request.jobId }),
        stage: 'requested',
        timestamps: { requested: new Date(0).toISOString() },
        registrationLeftBehind: false,
        adopted: false,
      };
      records.set(request.name, record);
      return record;
    },
    list: () => [...records.values()],
    get: (name: string) => records.get(name),
    async cancel(name: string) {
      calls.push(`cancel ${name}`);
      const record = records.get(name);
      if (!record) return false;
      record.stage = 'gone';
      record.timestamps.gone = new Date(1000).toISOString();
      return true;
    },
    drain() {
      draining = true;
    },
    resume() {
      draining = false;
    },
    async hostInfo(): Promise<HostInfo> {
      const used = busy();
      return {
        id: 'mini-test',
        version: '0.1.0',
        tartVersion: '2.32.1',
        slots: { total, busy: used, warm: 0, free: total - used, suspect: 0 },
        draining,
        slotCallbacks: false,
        pools: pools.map((name) => ({ name, image: `${name}-base`, labels: [name], warm: 0, warmTarget: warm.get(name) ?? 0, warmReady: 0, warmBooting: 0 })),
        images: pools.map((name) => `${name}-base`),
      };
    },
    async setWarmTarget(pool: string, count: number, untilMs: number | undefined) {
      if (!pools.includes(pool)) throw new WarmTargetError('pool', `pool must be one of ${pools.join(', ')}, got '${pool}'`);
      if (count > total) throw new WarmTargetError('count', `count must be at most ${total} (the host's slots), got ${count}`);
      warm.set(pool, count);
      calls.push(`warm ${pool} ${count}`);
      return { pool, baseline: 0, target: count, ...(untilMs === undefined ? {} : { until: new Date(untilMs).toISOString() }), ready: 0, booting: 0 };
    },
    async shutdown(_timeoutMs: number) {
      calls.push('shutdown');
      draining = true;
    },
  } satisfies RunnerService;

  return { service, jitConfigs, calls, records };
}
