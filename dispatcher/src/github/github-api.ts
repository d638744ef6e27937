/**
 * The narrow view of GitHub the dispatcher needs. One real implementation (Octokit,
 * `create-octokit-github.ts`); tests use a fake or the fake GitHub server.
 */

/** A job GitHub reports as queued (webhook or REST). */
export interface QueuedJob {
  id: number;
  runId: number;
  /** `owner/name`. */
  repo: string;
  labels: string[];
  /** ISO time the job was created (queue wait is measured from here). */
  createdAt: string;
}

/** A self-hosted runner registration as GitHub lists it. */
export interface GitHubRunner {
  id: number;
  name: string;
  /** `online` or `offline`. */
  status: string;
  busy: boolean;
}

export interface MintedRunner {
  /** GitHub's runner id (for deleting the registration). */
  runnerId: number;
  /** base64 JIT config: a credential, never logged. */
  encodedJitConfig: string;
}

export type DeleteOutcome = 'deleted' | 'gone' | 'busy';

export interface GitHubApi {
  /** POST generate-jitconfig once, without retries. Throws DispatcherError `github_conflict` (409:
   * the name exists), `github_rate_limited`, or `github` (retryable for 5xx and network errors). */
  generateJitConfig(input: { name: string; labels: string[] }): Promise<MintedRunner>;
  /** DELETE a registration: `gone` for 404, `busy` for GitHub's 422 "still running a job". */
  deleteRunner(runnerId: number): Promise<DeleteOutcome>;
  /** The registration with exactly this name, if any. */
  findRunnerByName(name: string): Promise<GitHubRunner | undefined>;
  /** Every self-hosted runner in our scope (all pages). */
  listRunners(): Promise<GitHubRunner[]>;
  /** Queued jobs of the configured repositories, from runs that are `queued` and `in_progress`.
   * `wanted` says which labels our pools serve: runs with no such job are not read again until they
   * change. Throws `github_read_budget` when reads have used their share of the rate limit. */
  listQueuedJobs(wanted?: (labels: string[]) => boolean): Promise<QueuedJob[]>;
  /** A job's current status (`queued`, `in_progress`, `completed`…), undefined when not found. */
  getJobStatus(repo: string, jobId: number): Promise<string | undefined>;
  /** Last `x-ratelimit-remaining` seen, if any. */
  rateLimitRemaining(): number | undefined;
  /** Last `x-ratelimit-limit` seen, if any (optional: fakes without a budget leave it out). */
  rateLimitLimit?(): number | undefined;
}
