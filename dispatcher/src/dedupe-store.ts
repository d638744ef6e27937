/**
 * Remembers delivery ids and job ids for a while, bounded in size. Per process (or per isolate on
 * Workers): across instances, the runner name derived from the job id makes GitHub's 409 the
 * deduplication of last resort.
 */
export interface DedupeStore {
  /** True the first time `key` is claimed within the TTL, false afterwards. */
  claim(key: string): boolean;
  has(key: string): boolean;
  /** Forget a claim (a start that failed may be retried by a redelivery). */
  release(key: string): void;
}

export function createDedupeStore(options: { ttlMs: number; maxEntries: number; now: () => number }): DedupeStore {
  // Map keeps insertion order, so the oldest entries are evicted first.
  const seen = new Map<string, number>();
  function fresh(key: string): boolean {
    const at = seen.get(key);
    if (at === undefined) return false;
    if (options.now() - at > options.ttlMs) {
      seen.delete(key);
      return false;
    }
    return true;
  }
  return {
    claim(key) {
      if (fresh(key)) return false;
      seen.set(key, options.now());
      while (seen.size > options.maxEntries) seen.delete(seen.keys().next().value as string);
      return true;
    },
    has: fresh,
    release(key) {
      seen.delete(key);
    },
  };
}
