import { rmSync } from 'node:fs';
import type { Ctx } from '../context';
import { runtimeError, vmNotRunning } from '../errors';
import { parseUInt, type CommandSpec, type ParsedArgs } from '../parse-args';
import { sleepSync } from '../sleep';
import { VmDir } from '../vm-dir';

export const stopSpec: CommandSpec = {
  name: 'stop',
  usage: 'tart stop <name> [--timeout <timeout>]',
  positionals: ['name'],
  options: { timeout: 'timeout' },
  short: { t: 'timeout' },
};

const errnoNumbers: Record<string, number> = { ESRCH: 3, EPERM: 1 };

/**
 * `tart stop`: SIGINT to the lock holder, poll the lock every 100 ms for up to `--timeout` seconds
 * (default 30), then SIGKILL without waiting. A suspended VM just loses its snapshot.
 */
export function stopCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals.name as string;
  const timeoutS = parseUInt(stopSpec, 'timeout', args.options.timeout ?? '30');
  const vm = VmDir.local(ctx.home, name);
  vm.validate(name);
  const owner = vm.lockOwner();
  if (owner === undefined) {
    if (vm.state() === 'suspended') {
      rmSync(vm.snapshotPath, { force: true });
      return;
    }
    throw vmNotRunning(name);
  }
  try {
    process.kill(owner.pid, 'SIGINT');
  } catch {
    // tart ignores the result of the SIGINT.
  }
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    sleepSync(100);
    if (vm.lockOwner() === undefined) return;
  }
  try {
    process.kill(owner.pid, 'SIGKILL');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw runtimeError(`failed to forcefully terminate the VM "${name}": ${errnoNumbers[code] ?? code}`);
  }
}
