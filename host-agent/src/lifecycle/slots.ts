/**
 * Slot accounting. Apple's licence allows two macOS VMs per host and Virtualization.framework
 * enforces it (docs/reference/tart-cli.md §4), so a slot is real: busy slots are VMs that run or are
 * about to; a slot where tart reported the VM limit while we thought it free is suspect for a while
 * (a leaked VM slot, tart issue #1217) instead of being retried in a loop.
 */
import type { Clock } from '../../../core/clock';

export interface SlotCounts {
  total: number;
  busy: number;
  warm: number;
  free: number;
  suspect: number;
}

export interface SlotBook {
  counts(): SlotCounts;
  /** tart refused a VM for the limit while a slot looked free. */
  markSuspect(): void;
  /** Takes a slot for a VM outside the runner lifecycle (a smoke test); undefined when none is free. */
  reserve(): (() => void) | undefined;
}

export interface SlotBookOptions {
  maxVms: number;
  suspectTtlMs: number;
  clock: Clock;
  /** VMs of the runner lifecycle that hold a slot now: those that run or are about to (a stopped VM
   * waiting for its delete holds none), plus deletes waiting beyond the delete cap (vm/delete-queue.ts). */
  busy(): number;
  /** Warm VMs (booting or ready); they hold slots too. */
  warm(): number;
}

export function createSlotBook(options: SlotBookOptions): SlotBook {
  /** When each suspect slot was marked, oldest first. */
  const suspects: number[] = [];
  let reserved = 0;

  const counts = (): SlotCounts => {
    const now = options.clock.now();
    while (suspects.length > 0 && (suspects[0] ?? 0) + options.suspectTtlMs <= now) suspects.shift();
    const warm = options.warm();
    const busy = options.busy() + reserved;
    const suspect = Math.min(suspects.length, Math.max(0, options.maxVms - busy - warm));
    return { total: options.maxVms, busy, warm, suspect, free: Math.max(0, options.maxVms - busy - warm - suspect) };
  };

  return {
    counts,
    markSuspect() {
      suspects.push(options.clock.now());
      suspects.splice(0, Math.max(0, suspects.length - options.maxVms));
    },
    reserve() {
      if (counts().free <= 0) return undefined;
      reserved += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        reserved -= 1;
      };
    },
  };
}
