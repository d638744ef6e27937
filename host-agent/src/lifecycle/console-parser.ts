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
  if (/^succeeded/i.test(text) || /^skipped$/i.test(text)) return 'Succeeded';
  if (/^cancel/i.test(text)) return 'Canceled';
  return 'Failed';
}

/**
 * Reads one line of the runner's console (actions/runner `Runner.Listener` output, e.g.
 * `2026-11-28 01:02:03Z: Listening for Jobs`). Returns undefined for lines that mean nothing here.
 */
export function parseConsoleLine(line: string): ConsoleEvent | undefined {
  const completed = /Job (.+) completed with result: (\w+)/.exec(line);
  if (completed) return { type: 'job-completed', job: completed[1] ?? '', result: toJobResult(completed[2] ?? '') };
  const started = /Running job: (.+)$/.exec(line);
  if (started) return { type: 'job-started', job: (started[1] ?? '').trim() };
  if (/Listening for Jobs/.test(line)) return { type: 'online' };
  return undefined;
}
