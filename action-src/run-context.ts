/**
 * The workflow run's identity, from `@actions/github`'s `context` (hydrated from the runner's
 * environment), validated: every runner name and label of a run is derived from it.
 */
import type { context } from '@actions/github';
import { ActionError } from './errors';

/** Facts about the workflow run. */
export interface RunContext {
  readonly runId: number;
  readonly runAttempt: number;
  /** `owner/name` */
  readonly repository: string;
}

/** What is read of `@actions/github`'s context (its `repo` getter throws without GITHUB_REPOSITORY). */
export type GitHubContext = Pick<typeof context, 'runId' | 'runAttempt' | 'repo'>;

const REPO_PART = /^[A-Za-z0-9_.-]+$/;

/** The run's identity; every value is required, and a missing one names its environment variable. */
export function readRunContext(context: GitHubContext): RunContext {
  const id = (value: number, variable: string): number => {
    if (!Number.isSafeInteger(value) || value < 0) throw new ActionError('input', `Environment variable ${variable} must be set by the runner to a whole number, got '${Number.isNaN(value) ? '' : value}'`);
    return value;
  };
  let repo: { owner: string; repo: string };
  try {
    repo = context.repo;
  } catch {
    repo = { owner: '', repo: '' };
  }
  if (!REPO_PART.test(repo.owner) || !REPO_PART.test(repo.repo)) {
    throw new ActionError('input', `Environment variable GITHUB_REPOSITORY must be set by the runner to owner/name, got '${repo.owner}/${repo.repo}'`);
  }
  return Object.freeze({ runId: id(context.runId, 'GITHUB_RUN_ID'), runAttempt: id(context.runAttempt, 'GITHUB_RUN_ATTEMPT'), repository: `${repo.owner}/${repo.repo}` });
}
