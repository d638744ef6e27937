import { readdirSync } from 'node:fs';
import type { TartHome } from './tart-home';
import { VmDir } from './vm-dir';

/** Every initialized local VM, sorted by name. */
export function localVms(home: TartHome): { name: string; vm: VmDir }[] {
  let names: string[];
  try {
    names = readdirSync(home.vms).sort();
  } catch {
    return [];
  }
  return names.map((name) => ({ name, vm: VmDir.local(home, name) })).filter(({ vm }) => vm.initialized());
}

/** MAC address of a VM, or undefined when its config cannot be read (e.g. deleted meanwhile). */
export function macOf(vm: VmDir): string | undefined {
  try {
    return vm.readConfig().macAddress.toLowerCase();
  } catch {
    return undefined;
  }
}
