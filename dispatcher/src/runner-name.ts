/**
 * Runner name = VM name = `tf-<pool>-<id>` (DESIGN §4). The id is derived from the GitHub job id and
 * an attempt number, `j<job>a<attempt>`, so two dispatchers handling the same delivery pick the same
 * name and GitHub's 409 on the second one stops a duplicate runner; a retry after a failed mint uses
 * the next attempt, never the same name (a blind retry of the POST would meet a 409).
 */
import { RUNNER_NAME } from '../../host-agent/src/api/contract';

const ID = /^j(\d{1,20})a(\d{1,6})$/;

export interface ParsedRunnerName {
  pool: string;
  jobId: number;
  attempt: number;
}

/** `tf-<pool>-j<jobId>a<attempt>`; throws when the result would not match the agent's RUNNER_NAME. */
export function formatRunnerName(pool: string, jobId: number, attempt: number): string {
  const name = `tf-${pool}-j${jobId}a${attempt}`;
  if (!RUNNER_NAME.test(name) || !Number.isSafeInteger(jobId) || jobId < 0 || !Number.isInteger(attempt) || attempt < 0) {
    throw new Error(`runner name for pool '${pool}', job ${jobId}, attempt ${attempt} must match ${RUNNER_NAME}, got '${name}'`);
  }
  return name;
}

/** The parts of a name we created, or undefined for any other runner (never touched). */
export function parseRunnerName(name: string): ParsedRunnerName | undefined {
  if (!RUNNER_NAME.test(name)) return undefined;
  const cut = name.lastIndexOf('-');
  const m = ID.exec(name.slice(cut + 1));
  if (!m) return undefined;
  return { pool: name.slice(3, cut), jobId: Number(m[1]), attempt: Number(m[2]) };
}
