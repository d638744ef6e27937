/** One local or OCI entry of `tart list --format json`. */
export interface TartVm {
  name: string;
  source: 'local' | 'oci';
  /** `running`, `suspended` or `stopped`. */
  state: 'running' | 'suspended' | 'stopped';
  /** Apparent size in GB. */
  diskGb: number;
}

/** `tart get <vm> --format json`. */
export interface TartVmInfo {
  os: string;
  cpu: number;
  memoryMb: number;
  diskGb: number;
  state: 'running' | 'suspended' | 'stopped';
}

type Json = Record<string, unknown>;

function asObject(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object, got ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return value as Json;
}

/** Reads a field case-insensitively: older tart versions differ in spelling and key order varies. */
function field(obj: Json, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function parseState(obj: Json): TartVm['state'] {
  const state = field(obj, 'State');
  if (state === 'running' || state === 'suspended' || state === 'stopped') return state;
  // tart before `State` existed had only the (now deprecated) `Running` boolean.
  return field(obj, 'Running') === true ? 'running' : 'stopped';
}

/** Parses `tart list --format json` leniently (key order, `Source` case and missing fields vary). */
export function parseVmList(stdout: string): TartVm[] {
  const text = stdout.trim();
  if (text === '') return [];
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error(`tart list --format json must print a JSON array, got ${text.slice(0, 80)}`);
  return data.map((entry, i) => {
    const obj = asObject(entry, `tart list entry ${i}`);
    const name = field(obj, 'Name');
    if (typeof name !== 'string' || name === '') throw new Error(`tart list entry ${i} must have a string Name, got ${JSON.stringify(name)}`);
    const source = String(field(obj, 'Source') ?? 'local').toLowerCase() === 'oci' ? 'oci' : 'local';
    const disk = Number(field(obj, 'Disk') ?? 0);
    return { name, source, state: parseState(obj), diskGb: Number.isFinite(disk) ? disk : 0 };
  });
}

/** Parses `tart get <vm> --format json`. */
export function parseVmInfo(stdout: string): TartVmInfo {
  const obj = asObject(JSON.parse(stdout), 'tart get --format json output');
  return {
    os: String(field(obj, 'OS') ?? 'darwin'),
    cpu: Number(field(obj, 'CPU') ?? 0),
    memoryMb: Number(field(obj, 'Memory') ?? 0),
    diskGb: Number(field(obj, 'Disk') ?? 0),
    state: parseState(obj),
  };
}
