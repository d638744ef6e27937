import type { ChildProcess } from 'node:child_process';
import { lazy } from './lazy-node';

/**
 * Kills a stopped VM's guest processes even when `tart run` itself dies by SIGKILL or SIGTERM (when
 * no code of ours runs). A tiny detached shell holds a pipe from the `run` process, whose only writer
 * is that process, so EOF means the VM is gone. It then kills every process carrying the guest's
 * marker (`TART_SIM_GUEST_ID` in /proc/<pid>/environ) — as Virtualization.framework tears a guest
 * down with its host process. Without /proc (macOS hosts) it falls back to the process groups of
 * sessions still open, which `run` reports as they start and end.
 */
export class GuestReaper {
  private readonly child: ChildProcess;

  constructor(guestId: string) {
    const script = [
      'pgs=" "',
      'while IFS= read -r line; do',
      '  case "$line" in -*) pgs=$(printf "%s" "$pgs" | sed "s/ ${line#-} / /") ;; *) pgs="$pgs$line " ;; esac',
      'done',
      'if [ -d /proc/self ]; then',
      '  for f in $(grep -lsxz "TART_SIM_GUEST_ID=$1" /proc/[0-9]*/environ); do p=${f#/proc/}; kill -s KILL "${p%/environ}" 2>/dev/null; done',
      'else',
      '  for pg in $pgs; do kill -s KILL -- "-$pg" 2>/dev/null; done',
      'fi',
    ].join('\n');
    this.child = lazy.childProcess().spawn('/bin/sh', ['-c', script, 'tart-sim-reaper', guestId], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    this.child.unref();
    this.child.stdin?.on('error', () => undefined);
    this.child.on('error', () => undefined);
  }

  /** A guest session's process group started. */
  track(pgid: number): void {
    this.child.stdin?.write(`${pgid}\n`);
  }

  /** That session's shell has exited: its group id may be reused from now on. */
  untrack(pgid: number): void {
    this.child.stdin?.write(`-${pgid}\n`);
  }

  /** For an orderly stop, after we killed the guest ourselves: the reaper has nothing left to do. */
  dismiss(): void {
    // Only while unreaped: the pid of a reaped child may belong to another process by now.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
