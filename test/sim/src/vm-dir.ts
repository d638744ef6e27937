import { existsSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { runtimeError, vmDoesNotExist, vmMissingFiles } from './errors';
import { probeLock, type LockOwner } from './pid-lock';
import { tartJson } from './tart-json';
import type { TartHome } from './tart-home';
import type { VmConfig } from './vm-config';

/** `running`, `suspended` or `stopped` (VMDirectory.state()). */
export type VmState = 'running' | 'suspended' | 'stopped';

/** One VM directory: a local VM (`vms/<name>`) or a cached OCI image (`cache/OCIs/…/sha256:…`). */
export class VmDir {
  /** The directory. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The local VM `<name>` of `home`. */
  static local(home: TartHome, name: string): VmDir {
    // Plain concatenation: `tart list` builds a dozen paths per VM and path.join shows in its profile.
    return new VmDir(`${home.vms}/${name}`);
  }

  get configPath(): string {
    return `${this.dir}/config.json`;
  }
  get diskPath(): string {
    return `${this.dir}/disk.img`;
  }
  get nvramPath(): string {
    return `${this.dir}/nvram.bin`;
  }
  get snapshotPath(): string {
    return `${this.dir}/state.vzvmsave`;
  }
  /** The simulated guest's filesystem root (see the guest contract). */
  get guestRoot(): string {
    return `${this.dir}/guest`;
  }
  /** Where the `run` process records itself: the simulator's stand-in for the fcntl lock on config.json. */
  get lockPath(): string {
    return `${this.dir}/.tart-sim-run.lock`;
  }

  /**
   * Everything `tart list` shows, from as few syscalls as possible (one readdir, four stats, and the
   * lock file only when present): the list of 50 VMs must stay fast. Undefined if not initialized.
   */
  listing(): { state: VmState; size: number; allocated: number; accessed: Date } | undefined {
    let names: Set<string>;
    try {
      names = new Set(readdirSync(this.dir));
    } catch {
      return undefined;
    }
    if (!names.has('config.json') || !names.has('disk.img') || !names.has('nvram.bin')) return undefined;
    const { size, allocated } = this.sizes();
    const state: VmState = names.has('.tart-sim-run.lock') && this.lockOwner() !== undefined ? 'running' : names.has('state.vzvmsave') ? 'suspended' : 'stopped';
    return { state, size, allocated, accessed: this.accessDate() };
  }

  /** A VM exists only when all three of its files exist (VMDirectory.initialized). */
  initialized(): boolean {
    return existsSync(this.configPath) && existsSync(this.diskPath) && existsSync(this.nvramPath);
  }

  /**
   * VMDirectory.validate, which every command that opens a VM runs (docs/reference/tart-cli.md §0): no
   * directory is VMDoesNotExist (exit 2), a directory missing any of the three files is VMMissingFiles (exit 1).
   */
  validate(name: string): void {
    if (this.initialized()) return;
    if (!existsSync(this.dir)) throw vmDoesNotExist(name);
    throw vmMissingFiles();
  }

  readConfig(): VmConfig {
    try {
      return JSON.parse(readFileSync(this.configPath, 'utf8')) as VmConfig;
    } catch (error: unknown) {
      throw runtimeError(`failed to read ${this.configPath}: ${(error as Error).message}`);
    }
  }

  /** Replaces config.json atomically, so a concurrent `list` or `get` never reads half a file. */
  writeConfig(config: VmConfig): void {
    const tmp = `${this.configPath}.${process.pid}.tmp`;
    writeFileSync(tmp, tartJson(config, { shuffle: false }));
    renameSync(tmp, this.configPath);
  }

  /** The live `tart run` holding this VM, like F_GETLK on config.json. */
  lockOwner(): LockOwner | undefined {
    return probeLock(this.lockPath);
  }

  state(): VmState {
    if (this.lockOwner() !== undefined) return 'running';
    if (existsSync(this.snapshotPath)) return 'suspended';
    return 'stopped';
  }


  /** Apparent and allocated bytes of the three files, from one stat each. */
  sizes(): { size: number; allocated: number } {
    let size = 0;
    let allocated = 0;
    for (const p of [this.configPath, this.diskPath, this.nvramPath]) {
      const s = statSync(p);
      size += s.size;
      allocated += s.blocks * 512;
    }
    return { size, allocated };
  }

  /** Last access date (the directory's atime, which tart sets whenever it opens a VM). */
  accessDate(): Date {
    return statSync(this.dir).atime;
  }

  /** URL.updateAccessDate: tart stamps the directory whenever it opens the VM. */
  touchAccess(): void {
    try {
      const s = statSync(this.dir);
      utimesSync(this.dir, new Date(), s.mtime);
    } catch {
      // Access dates are informational; a failure must not fail the command.
    }
  }
}
