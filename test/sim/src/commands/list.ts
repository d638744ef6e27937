import { readdirSync } from 'node:fs';
import type { Ctx } from '../context';
import { usageError } from '../errors';
import { listOci } from '../oci-store';
import { parseChoice, type CommandSpec, type ParsedArgs } from '../parse-args';
import { relativeTime } from '../relative-time';
import { tartJson } from '../tart-json';
import { textTable } from '../text-table';
import { VmDir } from '../vm-dir';

export const listSpec: CommandSpec = {
  name: 'list',
  usage: 'tart list [--source <source>] [--format <format>] [--quiet]',
  positionals: [],
  options: { source: 'source', format: 'format' },
  flags: ['quiet'],
  short: { q: 'quiet' },
};

interface Row {
  Source: 'local' | 'OCI';
  Name: string;
  Disk: number;
  Size: number;
  Accessed: Date;
  Running: boolean;
  State: string;
}

function row(source: Row['Source'], name: string, vm: VmDir): Row | undefined {
  try {
    const info = vm.listing();
    if (info === undefined) return undefined;
    return {
      Source: source,
      Name: name,
      Disk: Math.floor(info.size / 1e9),
      Size: Math.floor(info.allocated / 1e9),
      Accessed: info.accessed,
      Running: info.state === 'running',
      State: info.state,
    };
  } catch {
    // Deleted between readdir and stat: tart would skip it too.
    return undefined;
  }
}

/** `tart list`: local VMs sorted by name, then OCI tags and digests sorted by name. */
export function listCommand(ctx: Ctx, args: ParsedArgs): void {
  const source = args.options.source;
  if (source !== undefined && source !== 'local' && source !== 'oci') {
    throw usageError('list', `'${source}' is not a valid <source>`);
  }
  const format = parseChoice(listSpec, 'format', args.options.format ?? 'text', ['text', 'json'] as const);
  const rows: Row[] = [];
  if (source !== 'oci') {
    const names = readdirSync(ctx.home.vms).sort();
    for (const name of names) {
      const r = row('local', name, VmDir.local(ctx.home, name));
      if (r !== undefined) rows.push(r);
    }
  }
  if (source !== 'local') {
    for (const entry of listOci(ctx)) {
      const r = row('OCI', entry.name, entry.vm);
      if (r !== undefined) rows.push(r);
    }
  }
  if (args.flags.has('quiet')) {
    ctx.out(rows.map((r) => `${r.Name}\n`).join(''));
    return;
  }
  if (format === 'json') {
    ctx.out(tartJson(rows.map((r) => ({ ...r, Accessed: r.Accessed.toISOString().replace(/\.\d{3}Z$/, 'Z') }))) + '\n');
    return;
  }
  const now = ctx.now();
  ctx.out(
    textTable(
      ['Source', 'Name', 'Disk', 'Size', 'Accessed', 'State'],
      rows.map((r) => [r.Source, r.Name, String(r.Disk), String(r.Size), relativeTime(r.Accessed, now), r.State]),
    ) + '\n',
  );
}
