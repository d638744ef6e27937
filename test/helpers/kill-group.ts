/**
 * Signals a process group we started, only while it still exists. Once every member of a group has
 * exited, Linux may hand its id to a new process, and a detached spawn (another test's runner or
 * agent) leads a group with exactly that id: `kill(-pgid)` would then hit it. So the group is
 * signalled only while its leader is unreaped, or while /proc still shows a member and no process
 * has the group's id as its pid: Linux keeps a pid unallocated while any group still uses it as its
 * id, so once our leader is reaped, a process with that pid is a newcomer leading a group of its own.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { procStatFields } from '../sim/src/proc-stat';

/** True when some process's group id is `pgid` (/proc/<pid>/stat field 5) and none has it as its pid. */
function orphanedGroupHasMembers(pgid: number): boolean {
  if (existsSync(`/proc/${pgid}`)) return false;
  return readdirSync('/proc').some((entry) => /^\d+$/.test(entry) && Number(procStatFields(entry)?.[2]) === pgid);
}

/** Signals the group led by `child` (spawned with `detached: true`); false when it is gone. */
export function killGroup(child: Pick<ChildProcess, 'pid' | 'exitCode' | 'signalCode'>, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  const pgid = child.pid;
  if (pgid === undefined) return false;
  const leaderAlive = child.exitCode === null && child.signalCode === null;
  if (!leaderAlive && !orphanedGroupHasMembers(pgid)) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
