import type { Ctx } from '../context';
import { parseChoice, type CommandSpec, type ParsedArgs } from '../parse-args';
import { tartJson } from '../tart-json';
import { textTable } from '../text-table';
import { VmDir } from '../vm-dir';

export const getSpec: CommandSpec = {
  name: 'get',
  usage: 'tart get <name> [--format <format>]',
  positionals: ['name'],
  options: { format: 'format' },
};

/** `tart get <name>`: OS, CPU, Memory (MiB), Disk, DiskFormat, Size (a string), Display, Running, State. */
export function getCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals.name as string;
  const format = parseChoice(getSpec, 'format', args.options.format ?? 'text', ['text', 'json'] as const);
  const vm = VmDir.local(ctx.home, name);
  vm.validate(name);
  vm.touchAccess();
  const config = vm.readConfig();
  const state = vm.state();
  const display = `${config.display.width}x${config.display.height}${config.display.unit ?? ''}`;
  const sizes = vm.sizes();
  const info = {
    OS: config.os,
    CPU: config.cpuCount,
    Memory: Math.floor(config.memorySize / (1024 * 1024)),
    Disk: Math.floor(sizes.size / 1e9),
    DiskFormat: config.diskFormat,
    Size: (sizes.allocated / 1e9).toFixed(3),
    Display: display,
    Running: state === 'running',
    State: state,
  };
  if (format === 'json') {
    ctx.out(tartJson(info) + '\n');
    return;
  }
  const header = ['OS', 'CPU', 'Memory', 'Disk', 'DiskFormat', 'Size', 'Display', 'State'];
  const values = [info.OS, String(info.CPU), String(info.Memory), String(info.Disk), info.DiskFormat, info.Size, info.Display, info.State];
  ctx.out(textTable(header, [values]) + '\n');
}
