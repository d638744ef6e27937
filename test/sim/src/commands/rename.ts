import { existsSync, renameSync } from 'node:fs';
import type { Ctx } from '../context';
import { usageError } from '../errors';
import type { CommandSpec, ParsedArgs } from '../parse-args';
import { VmDir } from '../vm-dir';

export const renameSpec: CommandSpec = { name: 'rename', usage: 'tart rename <name> <new-name>', positionals: ['name', 'new-name'] };

/** `tart rename`: validation errors only (exit 64), like tart. */
export function renameCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals.name as string;
  const target = args.positionals['new-name'] as string;
  if (target.includes('/')) throw usageError('rename', '<new-name> should be a local name');
  const from = VmDir.local(ctx.home, name);
  if (!from.initialized()) throw usageError('rename', `failed to rename a non-existent local VM: ${name}`);
  const to = VmDir.local(ctx.home, target);
  if (existsSync(to.dir)) throw usageError('rename', `failed to rename VM ${name}, target VM ${target} already exists, delete it first!`);
  renameSync(from.dir, to.dir);
}
