import type { Ctx } from '../context';
import { usageError } from '../errors';
import { pullImage } from '../oci-store';
import { parseUInt, type CommandSpec, type ParsedArgs } from '../parse-args';
import { parseRemoteName } from '../remote-name';

export const pullSpec: CommandSpec = {
  name: 'pull',
  usage: 'tart pull <remote-name> [--insecure] [--concurrency <concurrency>]',
  positionals: ['remote-name'],
  options: { concurrency: 'concurrency' },
  flags: ['insecure', 'deduplicate'],
};

/** `tart pull`: always asks the registry (unlike clone, which trusts a cached tag). */
export function pullCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals['remote-name'] as string;
  if (args.options.concurrency !== undefined && parseUInt(pullSpec, 'concurrency', args.options.concurrency) < 1) {
    throw usageError('pull', 'network concurrency cannot be less than 1');
  }
  const remote = parseRemoteName(name);
  if (remote === undefined) {
    ctx.out(`"${name}" is a local image, nothing to pull here!\n`);
    return;
  }
  pullImage(ctx, remote);
}
