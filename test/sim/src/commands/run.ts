import { existsSync, rmSync } from 'node:fs';
import type { Ctx } from '../context';
import { errorMessage, genericError, TartError, usageError, vmAlreadyRunning } from '../errors';
import { localVms, macOf } from '../local-vms';
import type { CommandSpec, ParsedArgs } from '../parse-args';
import { lockBlocking, tryLock, unlock, updateLock } from '../pid-lock';
import { sleep } from '../sleep';
import { randomMac } from '../vm-config';
import { VmDir } from '../vm-dir';
import { VmRuntime } from '../vm-runtime';

export const runSpec: CommandSpec = {
  name: 'run',
  usage: 'tart run <name> [--no-graphics] [--serial] [--serial-path <serial-path>] [--no-audio] [--no-clipboard] [--recovery] [--vnc] [--vnc-experimental] [--disk <disk> ...] [--rosetta <rosetta>] [--dir <dir> ...] [--nested] [--net-bridged <net-bridged> ...] [--net-softnet] [--net-softnet-allow <net-softnet-allow>] [--net-softnet-block <net-softnet-block>] [--net-softnet-expose <net-softnet-expose>] [--net-host] [--root-disk-opts <root-disk-opts>] [--suspendable] [--capture-system-keys] [--no-trackpad] [--no-pointer] [--no-keyboard]',
  positionals: ['name'],
  options: {
    'serial-path': 'serial-path', disk: 'disk', rosetta: 'rosetta', dir: 'dir', 'net-bridged': 'net-bridged',
    'net-softnet-allow': 'net-softnet-allow', 'net-softnet-block': 'net-softnet-block', 'net-softnet-expose': 'net-softnet-expose',
    'root-disk-opts': 'root-disk-opts',
  },
  flags: [
    'no-graphics', 'graphics', 'serial', 'no-audio', 'no-clipboard', 'recovery', 'vnc', 'vnc-experimental', 'nested', 'net-softnet',
    'net-host', 'suspendable', 'capture-system-keys', 'no-trackpad', 'no-pointer', 'no-keyboard',
  ],
};

const diskOption = /^(ro|sync=(none|fsync|full)|caching=(automatic|cached|uncached))$/;

/** Run.validate(): flag checks (exit 64) and opening the VM (a missing VM is `Error: …`, exit 1). */
function validate(ctx: Ctx, args: ParsedArgs, vm: VmDir, name: string): void {
  const f = args.flags;
  if (f.has('graphics') && f.has('no-graphics')) throw usageError('run', '--graphics and --no-graphics are mutually exclusive');
  if (f.has('vnc') && f.has('vnc-experimental')) throw usageError('run', '--vnc and --vnc-experimental are mutually exclusive');
  const softnet = f.has('net-softnet') || ['net-softnet-allow', 'net-softnet-block', 'net-softnet-expose'].some((o) => args.options[o] !== undefined);
  if ([args.multi['net-bridged'] !== undefined, softnet, f.has('net-host')].filter(Boolean).length > 1) {
    throw usageError('run', '--net-bridged, --net-softnet and --net-host are mutually exclusive');
  }
  if (f.has('capture-system-keys') && (f.has('no-graphics') || f.has('vnc') || f.has('vnc-experimental'))) {
    throw usageError('run', '--captures-system-keys can only be used with the default VM view');
  }
  for (const disk of args.multi.disk ?? []) {
    if (disk.split(':')[0]?.endsWith('-amd64.iso')) throw usageError('run', `'${disk}' is an amd64 ISO; only arm64 images can be booted`);
  }
  const rootOpts = args.options['root-disk-opts'];
  if (rootOpts !== undefined && rootOpts.split(',').some((o) => !diskOption.test(o))) {
    throw usageError('run', `invalid root disk options: '${rootOpts}'`);
  }
  for (const dir of args.multi.dir ?? []) {
    if (dir === '') throw usageError('run', 'invalid --dir specification: empty');
  }
  // Run.validate() opens the VM, so its RuntimeErrors take the `Error: ` path with exit 1.
  try {
    vm.validate(name);
  } catch (error: unknown) {
    throw genericError(errorMessage(error));
  }
  vm.touchAccess();
  if (f.has('suspendable') && vm.readConfig().os !== 'darwin') throw usageError('run', 'You can only suspend macOS VMs');
}

function darwinLimit(ctx: Ctx, name: string): number {
  const max = Number(ctx.env.TART_SIM_MAX_DARWIN_VMS ?? 2);
  const leaked = ctx.faults.number('leaked-slots', name, 1) ?? Number(ctx.env.TART_SIM_LEAKED_SLOTS ?? 0);
  return max - leaked;
}

/**
 * `tart run`: blocks for the life of the VM and prints nothing on start. Under the global lock it
 * resolves a MAC collision with another running VM and takes the VM's lock (held: exit 2). A
 * macOS guest beyond the VM limit fails like Virtualization.framework's VZErrorDomain code 6 would,
 * after the lock is taken: `The number of VMs exceeds the system limit (other running VMs: …)`, exit 1.
 */
export async function runCommand(ctx: Ctx, args: ParsedArgs): Promise<void> {
  const name = args.positionals.name as string;
  const vm = VmDir.local(ctx.home, name);
  validate(ctx, args, vm, name);

  lockBlocking(ctx.home.globalLock);
  let overLimit = false;
  let others: string[];
  const config = vm.readConfig();
  try {
    const running = localVms(ctx.home).filter((v) => v.name !== name && v.vm.lockOwner() !== undefined);
    if (running.some((v) => macOf(v.vm) === config.macAddress.toLowerCase())) {
      config.macAddress = randomMac();
      vm.writeConfig(config);
      rmSync(vm.snapshotPath, { force: true });
      ctx.out('There is already a running VM with the same MAC address!\nResetting VM to assign a new MAC address...\n');
    }
    if (!tryLock(vm.lockPath, { slot: false })) throw vmAlreadyRunning(name);
    if (config.os === 'darwin') {
      const slots = running.filter((v) => v.vm.lockOwner()?.slot === true).length;
      overLimit = slots >= darwinLimit(ctx, name);
    }
    others = running.map((v) => v.name);
    updateLock(vm.lockPath, { slot: config.os === 'darwin' && !overLimit, os: config.os });
  } finally {
    unlock(ctx.home.globalLock);
  }

  const startFailure = ctx.faults.find('run-fail', name);
  if (overLimit || startFailure !== undefined) {
    // The framework reports the failure a moment after start, while tart already holds the lock.
    await sleep(Number(ctx.env.TART_SIM_START_FAIL_MS ?? 300));
    unlock(vm.lockPath);
    const message = startFailure !== undefined
      ? startFailure.value ?? 'Error Domain=VZErrorDomain Code=2 "Failed to lock auxiliary storage." UserInfo={NSLocalizedFailure=Invalid virtual machine configuration.}'
      : `The number of VMs exceeds the system limit${others.length > 0 ? ` (other running VMs: ${others.join(', ')})` : ''}`;
    throw new TartError('raw', message, 1);
  }

  if (existsSync(vm.snapshotPath)) {
    ctx.out('restoring VM state from a snapshot...\n');
    rmSync(vm.snapshotPath, { force: true });
    ctx.out('resuming VM...\n');
  }
  const defaultPort = process.getuid?.() === 0 ? 22 : 2222;
  new VmRuntime(ctx, {
    name,
    vm,
    config,
    bootMs: Number(ctx.env.TART_SIM_BOOT_MS ?? 2000),
    sshPort: Number(ctx.env.TART_SIM_SSH_PORT ?? defaultPort),
    suspendable: args.flags.has('suspendable'),
  }).start();
}
