import type { Ctx } from '../context';
import { cachedImage } from '../oci-store';
import type { CommandSpec, ParsedArgs } from '../parse-args';
import { parseRemoteName } from '../remote-name';
import path from 'node:path';

export const fqnSpec: CommandSpec = { name: 'fqn', usage: 'tart fqn <name>', positionals: ['name'] };

/** Hidden `tart fqn`: `host/ns@sha256:…` for a cached OCI name, the name itself otherwise. */
export function fqnCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals.name as string;
  const remote = parseRemoteName(name);
  const cached = remote !== undefined ? cachedImage(ctx, remote) : undefined;
  ctx.out(remote !== undefined && cached !== undefined ? `${remote.host}/${remote.namespace}@${path.basename(cached.dir)}\n` : `${name}\n`);
}
