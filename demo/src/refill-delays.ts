import type { RunnerRecord } from '../../core/agent-api/contract';

const ms = (iso: string | undefined): number => Date.parse(iso ?? '');

/**
 * Fleet-wide refill delays in ms: the k-th slot freed (a VM's `vmStoppedAt`) should carry the
 * (slots + k)-th runner, so each delay is from that stop to that runner's request on an agent. Only
 * stops while jobs still waited count (the last `slots` runners have no successor).
 */
export function refillDelays(records: readonly RunnerRecord[], slots: number): number[] {
  const requested = records.map((r) => ms(r.timestamps.requested)).sort((a, b) => a - b);
  const stopped = records.map((r) => ms(r.vmStoppedAt)).filter(Number.isFinite).sort((a, b) => a - b);
  return stopped
    .slice(0, Math.max(0, requested.length - slots))
    .map((t, k) => (requested[slots + k] ?? Number.NaN) - t)
    .filter(Number.isFinite);
}
