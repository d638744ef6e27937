import { parseVmList, type TartVm } from './parse-vm-list';

/** One `tart list --format json` entry with the fields image housekeeping needs. */
export interface TartImage extends TartVm {
  /** Allocated size in GB (`Size`); 0 when tart did not report it. */
  sizeGb: number;
  /** Last access (`Accessed`, ISO-8601), when reported: tart's own pruning goes oldest-accessed first. */
  accessed: string | undefined;
}

/** Parses `tart list --format json` like parseVmList, keeping `Size` and `Accessed` as well. */
export function parseImageList(stdout: string): TartImage[] {
  const base = parseVmList(stdout);
  if (base.length === 0) return [];
  const raw = JSON.parse(stdout.trim()) as Record<string, unknown>[];
  return base.map((vm, i) => {
    const obj = raw[i] ?? {};
    const pick = (key: string): unknown => Object.entries(obj).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    const size = Number(pick('Size') ?? 0);
    const accessed = pick('Accessed');
    return { ...vm, sizeGb: Number.isFinite(size) ? size : 0, accessed: typeof accessed === 'string' ? accessed : undefined };
  });
}
