/**
 * One line of the mirror's access log (the `tartfleet_cache` JSON log_format of
 * render-nginx-config.ts) turned into what the metrics need.
 */

/** Bounded metric label values for nginx's $upstream_cache_status. */
export const CACHE_RESULTS = ['hit', 'miss', 'expired', 'stale', 'updating', 'revalidated', 'bypass', 'uncached'] as const;
export type CacheResult = (typeof CACHE_RESULTS)[number];

/** What one request did. */
export interface CacheLogEntry {
  /** From $upstream_cache_status: HIT, MISS, EXPIRED (refetched), STALE / UPDATING (stale copy
   * served), REVALIDATED (304 from upstream), BYPASS (credentials); `uncached` when the cache was not
   * consulted (refused paths, methods other than GET/HEAD, the health check). */
  result: CacheResult;
  /** Mirror name ($tf_upstream), `-` outside any mirror. */
  upstream: string;
  status: number;
  /** Body bytes sent to the client. */
  bytes: number;
  method: string;
  path: string;
  seconds: number;
  /** The upstream's response set a cookie, so nginx did not store it. */
  setsCookie: boolean;
}

const RESULT_BY_STATUS: Record<string, CacheResult> = {
  HIT: 'hit',
  MISS: 'miss',
  EXPIRED: 'expired',
  STALE: 'stale',
  UPDATING: 'updating',
  REVALIDATED: 'revalidated',
  BYPASS: 'bypass',
};

function field(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** Parses one access-log line; `undefined` for a blank line or one that is not ours (for example a
 * line nginx wrote in another format before the config changed). Never throws. */
export function parseCacheLogLine(line: string): CacheLogEntry | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const cache = field(record, 'cache');
  const upstream = field(record, 'upstream');
  const status = field(record, 'status');
  if (typeof cache !== 'string' || typeof upstream !== 'string' || typeof status !== 'number') return undefined;
  const num = (key: string): number => {
    const v = field(record, key);
    return typeof v === 'number' && Number.isFinite(v) ? v : 0;
  };
  const str = (key: string): string => {
    const v = field(record, key);
    return typeof v === 'string' ? v : '';
  };
  return {
    result: RESULT_BY_STATUS[cache] ?? 'uncached',
    upstream,
    status,
    bytes: num('bytes'),
    method: str('method'),
    path: str('path'),
    seconds: num('seconds'),
    setsCookie: num('sets_cookie') === 1,
  };
}
