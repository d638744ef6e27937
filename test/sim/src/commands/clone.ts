import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context';
import { copyVmFiles } from '../copy-vm-files';
import { genericError, usageError } from '../errors';
import { lazy } from '../lazy-node';
import { localVms, macOf } from '../local-vms';
import { cachedImage, pullImage } from '../oci-store';
import { parseUInt, type CommandSpec, type ParsedArgs } from '../parse-args';
import { lockBlocking, tryLock, unlock } from '../pid-lock';
import { parseRemoteName } from '../remote-name';
import { tmpOwnerPath } from '../tart-home';
import { randomMac } from '../vm-config';
import { VmDir } from '../vm-dir';

export const cloneSpec: CommandSpec = {
  name: 'clone',
  usage: 'tart clone <source-name> <new-name> [--insecure] [--concurrency <concurrency>] [--prune-limit <n>]',
  positionals: ['source-name', 'new-name'],
  options: { concurrency: 'concurrency', 'prune-limit': 'n' },
  flags: ['insecure', 'deduplicate'],
};

/** What FileManager.copyItem reports when the volume is full (the `clone-fail` fault's default). */
const noSpace =
  'Error Domain=NSCocoaErrorDomain Code=640 "“disk.img” couldn’t be copied because there isn’t enough space." ' +
  'UserInfo={NSUnderlyingError=0x600002c4c000 {Error Domain=NSPOSIXErrorDomain Code=28 "No space left on device"}}';

/**
 * `tart clone`: pulls a remote source if it is not cached, copies it copy-on-write into `tmp/<UUID>`
 * under the global lock, gives it a new MAC if any local VM already has the source's, then moves it
 * over `vms/<new-name>` — silently replacing an existing VM of that name (tart #822, #1120).
 */
export function cloneCommand(ctx: Ctx, args: ParsedArgs): void {
  const source = args.positionals['source-name'] as string;
  const target = args.positionals['new-name'] as string;
  if (target.includes('/')) throw usageError('clone', '<new-name> should be a local name');
  if (args.options.concurrency !== undefined && parseUInt(cloneSpec, 'concurrency', args.options.concurrency) < 1) {
    throw usageError('clone', 'network concurrency cannot be less than 1');
  }
  const remote = parseRemoteName(source);
  let src: VmDir | undefined;
  if (remote !== undefined) {
    src = cachedImage(ctx, remote) ?? pullImage(ctx, remote);
  } else {
    src = VmDir.local(ctx.home, source);
  }
  src.validate(source);
  src.touchAccess();
  const fail = ctx.faults.find('clone-fail', target) ?? ctx.faults.find('clone-fail', source);
  if (fail !== undefined) throw genericError(fail.value ?? noSpace);

  const entry = lazy.crypto().randomUUID();
  const owner = tmpOwnerPath(ctx.home, entry);
  tryLock(owner);
  const work = new VmDir(path.join(ctx.home.tmp, entry));
  lockBlocking(ctx.home.globalLock);
  try {
    mkdirSync(work.dir);
    copyVmFiles(src.dir, work.dir);
    const config = work.readConfig();
    const suspended = existsSync(src.snapshotPath);
    const taken = localVms(ctx.home).some(({ vm }) => macOf(vm) === config.macAddress.toLowerCase());
    if (taken && !suspended) {
      config.macAddress = randomMac();
      work.writeConfig(config);
    }
    const dest = VmDir.local(ctx.home, target);
    if (existsSync(dest.dir)) {
      const old = path.join(ctx.home.tmp, `${entry}-replaced`);
      renameSync(dest.dir, old);
      renameSync(work.dir, dest.dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(work.dir, dest.dir);
    }
  } finally {
    unlock(ctx.home.globalLock);
    rmSync(work.dir, { recursive: true, force: true });
    unlock(owner);
  }
}
