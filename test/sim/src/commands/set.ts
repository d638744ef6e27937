import { copyFileSync, truncateSync, statSync, existsSync } from 'node:fs';
import type { Ctx } from '../context';
import { genericError, runtimeError, usageError } from '../errors';
import { parseUInt, type CommandSpec, type ParsedArgs } from '../parse-args';
import { fakePlist, randomMac } from '../vm-config';
import { VmDir } from '../vm-dir';

export const setSpec: CommandSpec = {
  name: 'set',
  usage: 'tart set <name> [--cpu <cpu>] [--memory <memory>] [--display <display>] [--display-refit] [--no-display-refit] [--random-mac] [--random-serial] [--disk <disk>] [--disk-size <disk-size>]',
  positionals: ['name'],
  options: { cpu: 'cpu', memory: 'memory', display: 'display', disk: 'disk', 'disk-size': 'disk-size' },
  flags: ['display-refit', 'no-display-refit', 'random-mac', 'random-serial'],
};

const MiB = 1024 * 1024;
/** VZVirtualMachineConfiguration.minimumAllowedCPUCount and minimumAllowedMemorySize, for every guest OS. */
const VZ_MIN_CPUS = 1;
const VZ_MIN_MEMORY = 128 * MiB;

const belowMinimum = (minimum: string, requested: number): Error =>
  genericError(`LessThanMinimalResourcesError: VM should have ${minimum} at minimum (requested ${requested})`);

/** `tart set`: edits config.json (no lock: a running VM picks the changes up at its next boot). */
export function setCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals.name as string;
  const display = args.options.display;
  const displayMatch = display === undefined ? undefined : /^(\d+)x(\d+)(pt|px)?$/.exec(display);
  if (display !== undefined && displayMatch === null) {
    throw usageError('set', `The value '${display}' is invalid for '--display <display>'`);
  }
  const cpu = args.options.cpu === undefined ? undefined : parseUInt(setSpec, 'cpu', args.options.cpu);
  const memoryMb = args.options.memory === undefined ? undefined : parseUInt(setSpec, 'memory', args.options.memory);
  const diskGb = args.options['disk-size'] === undefined ? undefined : parseUInt(setSpec, 'disk-size', args.options['disk-size']);
  const vm = VmDir.local(ctx.home, name);
  vm.validate(name);
  vm.touchAccess();
  const config = vm.readConfig();
  if (cpu !== undefined) {
    if (config.os === 'darwin' && cpu < config.cpuCountMin) throw belowMinimum(`${config.cpuCountMin} CPU cores`, cpu);
    if (cpu < VZ_MIN_CPUS) throw belowMinimum(`${VZ_MIN_CPUS} CPU cores`, cpu);
    config.cpuCount = cpu;
  }
  if (memoryMb !== undefined) {
    // tart states memory minimums in bytes; the VZ minimum applies to every OS (VMConfig.setMemory).
    const bytes = memoryMb * MiB;
    if (config.os === 'darwin' && bytes < config.memorySizeMin) throw belowMinimum(`${config.memorySizeMin} bytes of memory`, bytes);
    if (bytes < VZ_MIN_MEMORY) throw belowMinimum(`${VZ_MIN_MEMORY} bytes of memory`, bytes);
    config.memorySize = bytes;
  }
  if (displayMatch !== undefined && displayMatch !== null) {
    config.display = { width: Number(displayMatch[1]), height: Number(displayMatch[2]) };
    if (displayMatch[3] !== undefined) config.display.unit = displayMatch[3] as 'pt' | 'px';
  }
  // displayRefit is always rewritten from the flags: without either flag the key disappears.
  if (args.flags.has('display-refit')) config.displayRefit = true;
  else if (args.flags.has('no-display-refit')) config.displayRefit = false;
  else delete config.displayRefit;
  if (args.flags.has('random-mac')) config.macAddress = randomMac();
  if (args.flags.has('random-serial') && config.os === 'darwin') config.ecid = fakePlist('ecid');
  vm.writeConfig(config);
  if (args.options.disk !== undefined) {
    if (!existsSync(args.options.disk)) throw runtimeError(`disk image ${args.options.disk} does not exist`);
    copyFileSync(args.options.disk, vm.diskPath);
  }
  if (diskGb !== undefined) {
    const current = statSync(vm.diskPath).size;
    const wanted = diskGb * 1e9;
    if (wanted < current) {
      throw runtimeError(`new disk size of ${diskGb}GB should be larger than the current disk size of ${Math.floor(current / 1e9)}GB`);
    }
    truncateSync(vm.diskPath, wanted);
  }
}
