import { POOL_NAME, RUNNER_NAME } from '../api/contract';

/** Every VM the agent creates is named `tf-<pool>-<id>` (= the runner name, DESIGN §4). */
export const VM_NAME_PREFIX = 'tf-';

/** The parts of a managed VM name. */
export interface ParsedVmName {
  pool: string;
  /** Unique per registration: lowercase letters and digits, no dashes (the pool may contain them). */
  id: string;
}

/**
 * Builds a managed VM name. Throws when the result would not parse back, so a bad pool or id can
 * never produce a VM that the reconciler later refuses to clean up.
 */
export function formatVmName(pool: string, id: string): string {
  const name = `${VM_NAME_PREFIX}${pool}-${id}`;
  if (!POOL_NAME.test(pool) || !/^[a-z0-9]{1,40}$/.test(id) || !RUNNER_NAME.test(name)) {
    throw new Error(`VM name parts must be a pool matching ${POOL_NAME} and an id of 1-40 lowercase letters or digits, got pool '${pool}' and id '${id}'`);
  }
  return name;
}

/**
 * Parses a VM name; returns undefined for any name the agent did not create. Garbage collection and
 * the reconciler act only on names for which this returns a value: anything else is left alone.
 */
export function parseVmName(name: string): ParsedVmName | undefined {
  if (!RUNNER_NAME.test(name)) return undefined;
  const rest = name.slice(VM_NAME_PREFIX.length);
  const cut = rest.lastIndexOf('-');
  const pool = rest.slice(0, cut);
  const id = rest.slice(cut + 1);
  if (!POOL_NAME.test(pool)) return undefined;
  return { pool, id };
}
