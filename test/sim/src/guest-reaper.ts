import type { ChildProcess } from 'node:child_process';
import { lazy } from './lazy-node';

/**
 * Kills a stopped VM's guest processes even when `tart run` itself dies by SIGKILL or SIGTERM (when
 * no code of ours runs). A tiny detached shell reads the process-group ids of guest sessions from a
 * pipe; the pipe's only writer is the `run` process, so EOF means the VM is gone and the shell kills
 * every group it was told about — as Virtualization.framework tears a guest down with its host process.
 */
export class GuestReaper {
  private readonly child: ChildProcess;

  constructor(guestId: string) {
    // After the groups, processes that left them (setsid) are found by the guest marker in /proc.
    const script = [
      'pgs=""; while IFS= read -r pg; do pgs="$pgs $pg"; done',
      'for pg in $pgs; do kill -s KILL -- "-$pg" 2>/dev/null; done',
      'for f in $(grep -lsxz "TART_SIM_GUEST_ID=$1" /proc/[0-9]*/environ); do p=${f#/proc/}; kill -s KILL "${p%/environ}" 2>/dev/null; done',
    ].join('\n');
    this.child = lazy.childProcess().spawn('/bin/sh', ['-c', script, 'tart-sim-reaper', guestId], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    this.child.unref();
    this.child.stdin?.on('error', () => undefined);
  }

  /** Registers a guest process group. */
  track(pgid: number): void {
    this.child.stdin?.write(`${pgid}\n`);
  }

  /** For an orderly stop, after we killed the groups ourselves: the reaper has nothing left to do. */
  dismiss(): void {
    try {
      if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
