/**
 * Reads the runner's console (actions/runner `Runner.Listener` output, e.g.
 * `2026-11-28 01:02:03Z: Listening for Jobs`). The console is written by the job's own user, so
 * every line may be forged (docs/security.md): parsing is by hand, anchored at the line's start and
 * linear in its length, and a console that does not read like one single-use runner running one job
 * marks the job as failed.
 */
import type { JobResult } from '../../../core/agent-api/contract';

/** What a runner console line means to the lifecycle. */
export type ConsoleEvent =
  | { type: 'online' }
  | { type: 'job-started'; job: string }
  | { type: 'job-completed'; job: string; result: JobResult };

/**
 * Maps actions/runner's TaskResult names onto the three results of the contract: a job with issues
 * still succeeded, an abandoned one did not.
 */
function toJobResult(text: string): JobResult {
  const lower = text.toLowerCase();
  if (lower.startsWith('succeeded') || lower === 'skipped') return 'Succeeded';
  if (lower.startsWith('cancel')) return 'Canceled';
  return 'Failed';
}

/** `DateTime:u` plus `: `, as actions/runner prefixes its console lines. Bounded: no backtracking. */
const TIMESTAMP_PREFIX = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z: /;
const RUNNING = 'Running job: ';
const JOB = 'Job ';
const COMPLETED = ' completed with result: ';
const RESULT = /^\w+$/;

/** Returns the event one console line carries, or undefined for lines that mean nothing here. */
export function parseConsoleLine(line: string): ConsoleEvent | undefined {
  const prefix = TIMESTAMP_PREFIX.exec(line);
  const text = (prefix ? line.slice(prefix[0].length) : line).trimEnd();
  if (text === 'Listening for Jobs') return { type: 'online' };
  if (text.startsWith(RUNNING)) return { type: 'job-started', job: text.slice(RUNNING.length).trim() };
  if (text.startsWith(JOB)) {
    const at = text.lastIndexOf(COMPLETED);
    if (at < JOB.length) return undefined;
    const result = text.slice(at + COMPLETED.length);
    if (!RESULT.test(result)) return undefined;
    return { type: 'job-completed', job: text.slice(JOB.length, at), result: toJobResult(result) };
  }
  return undefined;
}

/** Follows one console from its first line; `read` returns the event to act on, if any. */
export interface ConsoleTracker {
  read(line: string): ConsoleEvent | undefined;
  /** True once the console broke the one-runner-one-job shape (a forged runner line). */
  readonly forged: boolean;
}

/**
 * A single-use JIT runner prints at most one `Running job:` and then one completion of that same
 * job. A second start, a completion without a start, a completion of another job or a second
 * completion can only come from the job itself: from then on every completion reads `Failed`. A
 * forged line can never end the VM: the lifecycle treats a job as over only when its VM stops.
 */
export function createConsoleTracker(): ConsoleTracker {
  let started: string | undefined;
  let completed = false;
  let forged = false;
  return {
    get forged() {
      return forged;
    },
    read(line) {
      const event = parseConsoleLine(line);
      if (!event || event.type === 'online') return event;
      if (event.type === 'job-started') {
        if (started !== undefined || completed) forged = true;
        started ??= event.job;
        return event;
      }
      if (started === undefined || completed || event.job !== started) forged = true;
      completed = true;
      return forged ? { ...event, result: 'Failed' } : event;
    },
  };
}
