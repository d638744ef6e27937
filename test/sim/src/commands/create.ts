import { closeSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context';
import { usageError } from '../errors';
import { buildGuestRoot } from '../guest-image';
import { lazy } from '../lazy-node';
import { parseChoice, parseUInt, type CommandSpec, type ParsedArgs } from '../parse-args';
import { tryLock, unlock } from '../pid-lock';
import { tmpOwnerPath } from '../tart-home';
import { fakePlist, randomMac, type VmConfig } from '../vm-config';
import { VmDir } from '../vm-dir';

export const createSpec: CommandSpec = {
  name: 'create',
  usage: 'tart create <name> [--from-ipsw <path>] [--linux] [--disk-size <disk-size>] [--disk-format <disk-format>]',
  positionals: ['name'],
  options: { 'from-ipsw': 'path', 'disk-size': 'disk-size', 'disk-format': 'disk-format' },
  flags: ['linux'],
};

const GiB = 1024 * 1024 * 1024;

/**
 * `tart create`: a base VM with a sparse disk of `--disk-size` GB (default 50) and a guest root built
 * from the repository's image sources. macOS: 4 CPUs, 8 GiB (minimum 4 GiB); Linux: 4 CPUs, 4 GiB.
 */
export async function createCommand(ctx: Ctx, args: ParsedArgs): Promise<void> {
  const name = args.positionals.name as string;
  const linux = args.flags.has('linux');
  if (args.options['from-ipsw'] === undefined && !linux) {
    throw usageError('create', 'Please specify either a --from-ipsw or --linux option!');
  }
  const diskGb = parseUInt(createSpec, 'disk-size', args.options['disk-size'] ?? '50');
  const diskFormat = parseChoice(createSpec, 'disk-format', args.options['disk-format'] ?? 'raw', ['raw', 'asif'] as const);
  const config: VmConfig = linux
    ? { version: 1, os: 'linux', arch: 'arm64', cpuCountMin: 4, cpuCount: 4, memorySizeMin: 4 * GiB, memorySize: 4 * GiB, macAddress: randomMac(), display: { width: 1024, height: 768 }, diskFormat }
    : {
        version: 1, os: 'darwin', arch: 'arm64', cpuCountMin: 4, cpuCount: 4, memorySizeMin: 4 * GiB, memorySize: 8 * GiB,
        macAddress: randomMac(), display: { width: 1024, height: 768 }, diskFormat, ecid: fakePlist('ecid'), hardwareModel: fakePlist('hardwareModel'),
      };
  const entry = lazy.crypto().randomUUID();
  const owner = tmpOwnerPath(ctx.home, entry);
  tryLock(owner);
  const work = new VmDir(path.join(ctx.home.tmp, entry));
  try {
    mkdirSync(work.dir, { recursive: true });
    work.writeConfig(config);
    const fd = openSync(work.diskPath, 'w');
    try {
      // A little real data so copies and the `Size` column have something to count; the rest is a hole.
      writeSync(fd, lazy.crypto().randomBytes(1024 * 1024));
      ftruncateSync(fd, diskGb * 1e9);
    } finally {
      closeSync(fd);
    }
    writeFileSync(work.nvramPath, lazy.crypto().randomBytes(64 * 1024));
    await buildGuestRoot(work.guestRoot, ctx.repoRoot);
    const target = VmDir.local(ctx.home, name);
    rmSync(target.dir, { recursive: true, force: true });
    renameSync(work.dir, target.dir);
  } finally {
    rmSync(work.dir, { recursive: true, force: true });
    unlock(owner);
    rmSync(owner, { force: true });
  }
}
