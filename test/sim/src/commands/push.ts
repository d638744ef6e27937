import type { Ctx } from '../context';
import { vmDoesNotExist, vmIsRunning } from '../errors';
import { cachedImage, pushToRegistry } from '../oci-store';
import type { CommandSpec, ParsedArgs } from '../parse-args';
import { formatRemoteName, parseRemoteName, requireRemoteName } from '../remote-name';
import { VmDir } from '../vm-dir';

export const pushSpec: CommandSpec = {
  name: 'push',
  usage: 'tart push <local-name> <remote-names> ... [--insecure] [--concurrency <concurrency>] [--chunk-size <chunk-size>] [--label <label> ...] [--populate-cache]',
  positionals: ['local-name', 'remote-names...'],
  options: { concurrency: 'concurrency', 'chunk-size': 'chunk-size', label: 'label' },
  flags: ['insecure', 'populate-cache'],
};

/** `tart push`: uploads a stopped VM into the simulator's directory registry (see oci-store.ts). */
export function pushCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals['local-name'] as string;
  const localRemote = parseRemoteName(name);
  const vm = localRemote !== undefined ? cachedImage(ctx, localRemote) : VmDir.local(ctx.home, name);
  if (vm === undefined) throw vmDoesNotExist(name);
  vm.validate(name);
  if (vm.lockOwner() !== undefined) throw vmIsRunning(name);
  // tart opens and locks the local VM before it parses the targets (Push.swift).
  const targets = args.rest.map(requireRemoteName);
  for (const target of targets) {
    const shown = formatRemoteName(target);
    ctx.out(`pushing ${name} to ${shown}...\npushing config...\npushing disk... this will take a while...\npushing NVRAM...\n`);
    const digest = pushToRegistry(ctx, vm, target);
    ctx.out(`pushing manifest for ${shown}...\n`);
    void digest;
  }
}
