import { existsSync, lstatSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context';
import { vmDoesNotExist, vmIsRunning } from '../errors';
import { cacheDigestDir, gcOci } from '../oci-store';
import type { CommandSpec, ParsedArgs } from '../parse-args';
import { lockBlocking, tryLock, unlock } from '../pid-lock';
import { encodeHost, parseRemoteName } from '../remote-name';
import { VmDir } from '../vm-dir';

export const deleteSpec: CommandSpec = {
  name: 'delete',
  usage: 'tart delete <name> ...',
  positionals: ['name...'],
};

/** `tart delete <name>...`: in order, stopping at the first error; a running VM is refused (exit 1). */
export function deleteCommand(ctx: Ctx, args: ParsedArgs): void {
  for (const name of args.rest) {
    const remote = parseRemoteName(name);
    if (remote !== undefined) {
      const p = remote.digest !== undefined ? cacheDigestDir(ctx, remote, remote.digest) : path.join(ctx.home.ocis, encodeHost(remote.host), remote.namespace, remote.tag ?? 'latest');
      try {
        lstatSync(p);
      } catch {
        throw vmDoesNotExist(name);
      }
      rmSync(p, { recursive: true, force: true });
      gcOci(ctx);
      continue;
    }
    const vm = VmDir.local(ctx.home, name);
    // tart's delete only opens config.json (its lock), so a VM missing the disk or NVRAM is still deleted.
    if (!existsSync(vm.configPath)) throw vmDoesNotExist(name);
    // The trylock tart does on config.json: taking it proves no `run` holds the VM.
    lockBlocking(ctx.home.globalLock);
    try {
      if (!tryLock(vm.lockPath)) throw vmIsRunning(name);
      rmSync(vm.dir, { recursive: true, force: true });
    } finally {
      unlock(ctx.home.globalLock);
    }
  }
}
