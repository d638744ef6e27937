import type { Ctx } from '../context';
import { usageError } from '../errors';
import { pullImage } from '../oci-store';
import { parseUInt, type CommandSpec, type ParsedArgs } from '../parse-args';
import { requireRemoteName } from '../remote-name';
import { VmDir } from '../vm-dir';

export const pullSpec: CommandSpec = {
  name: 'pull',
  usage: 'tart pull <remote-name> [--insecure] [--concurrency <concurrency>]',
  positionals: ['remote-name'],
  options: { concurrency: 'concurrency' },
  flags: ['insecure', 'deduplicate'],
};

/**
 * `tart pull`: an initialized local VM is "nothing to pull"; anything else must parse as a remote name
 * (`failed to parse remote name: …`, exit 1). Always asks the registry, unlike clone, which trusts a cached tag.
 */
export function pullCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals['remote-name'] as string;
  if (args.options.concurrency !== undefined && parseUInt(pullSpec, 'concurrency', args.options.concurrency) < 1) {
    throw usageError('pull', 'network concurrency cannot be less than 1');
  }
  if (!name.includes('/') && VmDir.local(ctx.home, name).initialized()) {
    ctx.out(`"${name}" is a local image, nothing to pull here!\n`);
    return;
  }
  pullImage(ctx, requireRemoteName(name));
}

