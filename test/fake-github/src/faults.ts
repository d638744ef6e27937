/** An injected failure or delay for requests matching `method` + `path`. */
export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Regular expression (or exact path string) matched against the request path. */
  path: RegExp | string;
  /** Respond with this 5xx instead of the real answer. */
  status?: 500 | 502 | 503 | 504;
  /** Run the real handler first (its effects stay), then answer with `status` — GitHub's "failed after commit". */
  afterCommit?: boolean;
  /** Delay before handling, in milliseconds. */
  latencyMs?: number;
  /** How many requests it applies to; default 1; Infinity for all. */
  count?: number;
}

/** Per-route fault injection. */
export interface Faults {
  add(spec: FaultSpec): void;
  clear(): void;
  /** Takes the first fault that matches (consuming one of its uses). */
  take(method: string, path: string): FaultSpec | undefined;
}

/** Creates an empty fault table. */
export function createFaults(): Faults {
  const list: Array<FaultSpec & { left: number }> = [];
  return {
    add(spec) {
      list.push({ ...spec, left: spec.count ?? 1 });
    },
    clear() {
      list.length = 0;
    },
    take(method, path) {
      if (list.length === 0) return undefined;
      const f = list.find((x) => (!x.method || x.method.toUpperCase() === method) && (typeof x.path === 'string' ? x.path === path : x.path.test(path)));
      if (!f) return undefined;
      f.left--;
      if (f.left <= 0) list.splice(list.indexOf(f), 1);
      return f;
    },
  };
}
