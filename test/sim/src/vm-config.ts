import { lazy } from './lazy-node';

/** tart's config.json (VMConfig.swift), as written by `VMConfig.save`. */
export interface VmConfig {
  version: number;
  os: 'darwin' | 'linux';
  arch: string;
  cpuCountMin: number;
  cpuCount: number;
  /** Bytes. */
  memorySizeMin: number;
  /** Bytes. */
  memorySize: number;
  /** Lowercase, e.g. `7a:47:bb:5f:97:c9`. */
  macAddress: string;
  display: { width: number; height: number; unit?: 'pt' | 'px' };
  displayRefit?: boolean;
  diskFormat: 'raw' | 'asif';
  /** macOS only: base64 of a binary plist. */
  ecid?: string;
  /** macOS only: base64 of a binary plist. */
  hardwareModel?: string;
}

/** A random locally administered unicast MAC, like `VZMACAddress.randomLocallyAdministered()`. */
export function randomMac(): string {
  const bytes = lazy.crypto().randomBytes(6);
  bytes[0] = ((bytes[0] as number) & 0xfc) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A fake binary-plist blob for `ecid`/`hardwareModel` (opaque to every consumer). */
export function fakePlist(kind: string): string {
  return Buffer.concat([Buffer.from(`bplist00${kind}`), lazy.crypto().randomBytes(8)]).toString('base64');
}
