import type { Ctx } from '../context';
import { runtimeError, usageError } from '../errors';
import { readLease } from '../leases';
import { parseChoice, parseUInt, type CommandSpec, type ParsedArgs } from '../parse-args';
import { sleepSync } from '../sleep';
import { VmDir } from '../vm-dir';

export const ipSpec: CommandSpec = {
  name: 'ip',
  usage: 'tart ip <name> [--wait <wait>] [--resolver <resolver>]',
  positionals: ['name'],
  options: { wait: 'wait', resolver: 'resolver' },
};

/**
 * `tart ip`: resolves the VM's MAC (from config.json) to an address. Like tart it tries, sleeps 1 s
 * on a miss and repeats while `now < start + wait`, so even `--wait 0` takes at least a second to fail.
 * dhcp reads leases (a stopped VM with a live lease still resolves); arp sees only running guests;
 * agent needs tart-guest-agent, which the simulated (vanilla-like) image does not run.
 */
export function ipCommand(ctx: Ctx, args: ParsedArgs): void {
  const name = args.positionals.name as string;
  const waitS = parseUInt(ipSpec, 'wait', args.options.wait ?? '0');
  if (waitS > 65535) throw usageError('ip', `The value '${waitS}' is invalid for '--wait <wait>'`);
  const resolver = parseChoice(ipSpec, 'resolver', args.options.resolver ?? 'dhcp', ['dhcp', 'arp', 'agent'] as const);
  const vm = VmDir.local(ctx.home, name);
  vm.validate(name);
  vm.touchAccess();
  const start = Date.now();
  for (;;) {
    const config = vm.readConfig();
    const running = vm.state() === 'running';
    let ip: string | undefined;
    if (resolver === 'dhcp' || (resolver === 'arp' && running)) ip = readLease(ctx.home, config.macAddress)?.ip;
    if (ip !== undefined) {
      ctx.out(`${ip}\n`);
      return;
    }
    sleepSync(1000);
    if (Date.now() >= start + waitS * 1000) {
      let message = 'no IP address found';
      if (!vm.initialized() || vm.state() !== 'running') message += ', is your VM running?';
      if (resolver === 'agent') message += ' (also make sure that Guest agent for Tart is running inside of a VM)';
      if (resolver === 'arp' && config.os === 'linux') message += ' (not all Linux distributions are compatible with the ARP resolver)';
      throw runtimeError(message);
    }
  }
}
