import type { Ctx } from '../context';
import { genericError, vmNotRunning } from '../errors';
import type { CommandSpec, ParsedArgs } from '../parse-args';
import { VmDir } from '../vm-dir';

export const execSpec: CommandSpec = {
  name: 'exec',
  usage: 'tart exec [-i] [-t] <name> <command> ...',
  positionals: ['name', 'command...'],
  flags: ['interactive', 'tty'],
  short: { i: 'interactive', t: 'tty' },
  passthroughAfter: 'name',
};

/**
 * `tart exec` needs tart-guest-agent in the guest. The simulated image is like cirruslabs' vanilla
 * images (SSH only, no agent), so exec fails as it does there; controllers use SSH.
 */
export function execCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals.name as string;
  const vm = VmDir.local(ctx.home, name);
  vm.validate(name);
  if (vm.state() !== 'running') throw vmNotRunning(name);
  throw genericError(
    'Failed to connect to the VM using its control socket: connect(descriptor:addr:size:): No such file or directory (errno: 2), is the Tart Guest Agent running?',
  );
}
