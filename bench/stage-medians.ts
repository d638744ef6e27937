/**
 * Where each slot's time goes, from the agents' runner records (stage timestamps and `vmStoppedAt`):
 * median seconds per step, over the records that reached both ends of it. Shared by the two fleet
 * benchmarks (real processes, and 100 hosts in one process).
 */
import type { RunnerRecord } from '../core/agent-api/contract';
import { isSpareVmName } from '../core/names';
import { percentile } from './bench-env';

const ms = (iso: string | undefined): number => Date.parse(iso ?? '');
const round = (x: number): number => Math.round(x * 100) / 100;

/** Median seconds between two moments of each record, over records that have both. */
function stage(records: readonly RunnerRecord[], from: (r: RunnerRecord) => number, to: (r: RunnerRecord) => number): number {
  const xs = records.map((r) => (to(r) - from(r)) / 1000).filter((x) => Number.isFinite(x) && x >= 0);
  return round(percentile(xs, 50));
}

export function stageMediansS(records: readonly RunnerRecord[]) {
  return {
    clone: stage(records, (r) => ms(r.timestamps.requested), (r) => ms(r.timestamps.booting)),
    // The same, split: runners that took their pool's spare clone and those that cloned.
    cloneFromSpare: stage(records.filter((r) => isSpareVmName(r.vm ?? '')), (r) => ms(r.timestamps.requested), (r) => ms(r.timestamps.booting)),
    cloneOwn: stage(records.filter((r) => r.vm === undefined), (r) => ms(r.timestamps.requested), (r) => ms(r.timestamps.booting)),
    bootToSshReady: stage(records, (r) => ms(r.timestamps.booting), (r) => ms(r.timestamps['ssh-ready'])),
    sshReadyToRegistering: stage(records, (r) => ms(r.timestamps['ssh-ready']), (r) => ms(r.timestamps.registering)),
    registeringToOnline: stage(records, (r) => ms(r.timestamps.registering), (r) => ms(r.timestamps.online)),
    // GitHub assigning a job to the idle runner.
    onlineToRunning: stage(records, (r) => ms(r.timestamps.online), (r) => ms(r.timestamps.running)),
    // The job, the runner's exit and the guest's shutdown: the slot is free at the end of it.
    runningToSlotFree: stage(records, (r) => ms(r.timestamps.running), (r) => ms(r.vmStoppedAt)),
    deleteAfterStop: stage(records, (r) => ms(r.vmStoppedAt), (r) => ms(r.timestamps.gone)),
  };
}
