import { existsSync, readFileSync, rmSync, unlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import type { Server, Socket } from 'node:net';
import path from 'node:path';
import type { Ctx } from './context';
import { guestPaths, installShims } from './guest-image';
import { GuestReaper } from './guest-reaper';
import type { GuestSsh } from './guest-ssh';
import { lazy } from './lazy-node';
import { loadSsh2 } from './load-ssh2';
import { candidateAddress, leasedAddresses, readLease, writeLease } from './leases';
import { unlock } from './pid-lock';
import type { VmConfig } from './vm-config';
import type { VmDir } from './vm-dir';

/** How a simulated VM is configured for this `tart run`. */
export interface VmRuntimeOptions {
  name: string;
  vm: VmDir;
  config: VmConfig;
  /** Time from start to SSH answering, ms. The DHCP lease appears at 80 % of it. */
  bootMs: number;
  /** Guest SSH port. */
  sshPort: number;
  /** `--suspendable` was given (SIGUSR1 then snapshots instead of failing). */
  suspendable: boolean;
}

/**
 * One running VM inside the `tart run` process: boots (lease, then SSH), serves the guest, and ends
 * the way tart's VM loop does — guest poweroff (`guest has stopped the virtual machine`, exit 0),
 * SIGINT (`Stopping VM...`, exit 0, hard power-off), SIGUSR2 (`Requesting guest OS to stop...`, then
 * a guest shutdown) — killing every guest process group on the way out.
 */
export class VmRuntime {
  private readonly ctx: Ctx;
  private readonly o: VmRuntimeOptions;
  private readonly guestId = lazy.crypto().randomUUID();
  private readonly reaper = new GuestReaper(this.guestId);
  private ssh: GuestSsh | undefined;
  private listener: Server | undefined;
  private sshReady = false;
  private stopping = false;
  private watcher: FSWatcher | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private crashArmed = false;
  private address: string | undefined;

  constructor(ctx: Ctx, options: VmRuntimeOptions) {
    this.ctx = ctx;
    this.o = options;
  }

  private get powerRequest(): string {
    return path.join(this.o.vm.guestRoot, guestPaths.powerRequest);
  }

  private fault(name: string): boolean {
    return this.ctx.faults.find(name, this.o.name) !== undefined;
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Starts the VM; returns once the boot is scheduled (the process then lives on its event loop). */
  start(): void {
    installShims(this.o.vm.guestRoot);
    rmSync(this.powerRequest, { force: true });
    process.on('SIGINT', () => this.onSigint());
    process.on('SIGUSR2', () => this.onSigusr2());
    process.on('SIGUSR1', () => this.onSigusr1());
    this.watchPowerRequests();
    if (this.fault('boot-hang')) return;
    // Load ssh2 while the guest "boots", so SSH answers at the boot time rather than after a cold require.
    setImmediate(() => loadSsh2());
    const bootMs = this.ctx.faults.number('slow-boot', this.o.name, this.o.bootMs * 10) ?? this.o.bootMs;
    this.after(Math.floor(bootMs * 0.8), () => void this.acquireAddress().catch((error: unknown) => this.crash(`failed to attach network: ${(error as Error).message}`)));
    this.after(bootMs, () => this.startSsh());
  }

  /** DHCP: reuse the MAC's live lease, else a free candidate; bind the guest port to own the address. */
  private async acquireAddress(): Promise<void> {
    const { home } = this.ctx;
    const mac = this.o.config.macAddress;
    const taken = leasedAddresses(home, mac);
    const previous = readLease(home, mac)?.ip;
    const candidates = previous !== undefined ? [previous] : [];
    for (let i = 0; candidates.length < 64; i++) {
      const c = candidateAddress(home, mac, i);
      if (!taken.has(c) && !candidates.includes(c)) candidates.push(c);
    }
    const refuse = this.fault('ssh-refuse');
    for (const ip of candidates) {
      if (refuse) {
        this.address = ip;
        break;
      }
      try {
        this.listener = await listen(ip, this.o.sshPort, (socket) => this.onTcp(socket));
        this.address = ip;
        break;
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      }
    }
    if (this.address === undefined) throw new Error('no free loopback address for the guest');
    if (this.stopping) return;
    writeLease(home, mac, this.address);
  }

  private onTcp(socket: Socket): void {
    socket.on('error', () => undefined);
    if (!this.sshReady || this.ssh === undefined || this.stopping) {
      // sshd is not up yet (or the machine is going down): the connection goes nowhere.
      socket.destroy();
      return;
    }
    this.ssh.handleSocket(socket);
  }

  /** Brings sshd up; a failure stops the VM with the error on stdout, as a failing guest would. */
  private startSsh(): void {
    this.bootSsh().catch((error: unknown) => this.crash(`guest sshd failed to start: ${(error as Error).stack ?? String(error)}`));
  }

  private async bootSsh(): Promise<void> {
    if (this.stopping || this.fault('ssh-refuse')) return;
    if (this.ssh === undefined) {
      // ssh2 is loaded only here so that every other tart command starts fast.
      const { GuestSsh } = await import('./guest-ssh');
      this.ssh = new GuestSsh({
        guestRoot: this.o.vm.guestRoot,
        hostKey: readFileSync(path.join(this.o.vm.guestRoot, guestPaths.hostKey)),
        address: this.address ?? '127.0.0.1',
        port: this.o.sshPort,
        guestId: this.guestId,
        onProcessGroup: (pgid) => this.onGuestProcess(pgid),
        onProcessGroupEnd: (pgid) => this.reaper.untrack(pgid),
      });
    }
    if (this.listener === undefined) {
      // The lease step has not finished yet (very short boot times): SSH comes up right after it.
      this.after(20, () => this.startSsh());
      return;
    }
    this.sshReady = true;
  }

  private onGuestProcess(pgid: number): void {
    this.reaper.track(pgid);
    if (this.crashArmed) return;
    const crashMs = this.ctx.faults.number('guest-crash', this.o.name, 500);
    if (crashMs === undefined) return;
    this.crashArmed = true;
    this.after(crashMs, () => this.crash('Error Domain=VZErrorDomain Code=1 "The virtual machine stopped unexpectedly." UserInfo={NSLocalizedFailure=Internal Virtualization error.}'));
  }

  private watchPowerRequests(): void {
    const check = (): void => {
      if (!existsSync(this.powerRequest)) return;
      let action: string;
      try {
        action = readFileSync(this.powerRequest, 'utf8').trim();
        unlinkSync(this.powerRequest);
      } catch {
        return;
      }
      if (action === 'reboot') this.reboot();
      else this.guestShutdown();
    };
    try {
      this.watcher = watch(path.dirname(this.powerRequest), () => check());
    } catch {
      // No inotify: the poll below still notices.
    }
    const poll = setInterval(check, 250);
    poll.unref();
  }

  private shutdownDelay(): number {
    return this.ctx.faults.number('slow-shutdown', this.o.name, 5000) ?? Number(this.ctx.env.TART_SIM_SHUTDOWN_MS ?? 100);
  }

  /** The guest powered itself off: a short OS shutdown, then tart's delegate message and exit 0. */
  private guestShutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    // Leave the SSH session that ran `shutdown` time to deliver its exit status, as a real guest does.
    this.after(this.shutdownDelay(), () => {
      this.ssh?.killProcesses('SIGTERM');
      this.after(50, () => this.finish('guest has stopped the virtual machine\n', 0));
    });
  }

  private reboot(): void {
    if (this.stopping) return;
    this.sshReady = false;
    this.ssh?.killProcesses('SIGKILL');
    this.ssh?.disconnectAll();
    this.after(this.o.bootMs, () => this.startSsh());
  }

  private crash(error: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.finish(`guest has stopped the virtual machine due to error: ${error}\n`, 0);
  }

  private onSigint(): void {
    if (this.fault('stop-hang')) return;
    if (this.stopping) return;
    this.stopping = true;
    this.ctx.out('Stopping VM...\n');
    this.after(this.ctx.faults.number('slow-shutdown', this.o.name, 5000) ?? 0, () => this.finish('', 0));
  }

  private onSigusr2(): void {
    this.ctx.out('Requesting guest OS to stop...\n');
    if (this.fault('stop-hang')) return;
    this.guestShutdown();
  }

  /** `tart suspend`: only `--suspendable` macOS VMs can snapshot; otherwise the run fails and the VM dies. */
  private onSigusr1(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (!this.o.suspendable || this.o.config.os !== 'darwin') {
      this.finish('Failed to suspend the VM: this VM was not started with --suspendable\n', 1);
      return;
    }
    this.ctx.out('pausing VM to take a snapshot...\ncreating a snapshot...\n');
    writeFileSync(this.o.vm.snapshotPath, 'tart-sim snapshot\n');
    this.finish('snapshot created successfully! shutting down the VM...\n', 0);
  }

  /** Hard stop: kill the guest, drop connections, release the lock, print, exit. */
  private finish(message: string, code: number): void {
    for (const t of this.timers) clearTimeout(t);
    this.ssh?.killProcesses('SIGKILL');
    this.ssh?.disconnectAll();
    this.reaper.dismiss();
    this.watcher?.close();
    this.listener?.close();
    unlock(this.o.vm.lockPath);
    if (message !== '') this.ctx.out(message);
    process.exit(code);
  }
}

function listen(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = lazy.net().createServer(onConnection);
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
