/** Result a test asks a job to finish with (GitHub's `conclusion` values we model). */
export type JobResult = 'success' | 'failure' | 'cancelled';

/** What a test enqueues: one job of a workflow run. */
export interface JobSpec {
  /** Job display name (the runner prints it in `Running job: NAME`). */
  name: string;
  /** The `runs-on` labels; matched case-insensitively against runner labels. */
  labels: string[];
  /** How long the runner "runs" the job, in milliseconds. */
  durationMs?: number;
  /** The conclusion the runner reports when the duration has elapsed. Default `success`. */
  result?: JobResult;
  /** Optional bash script the runner stand-in executes as the job's only step (exit ≠ 0 ⇒ failure). */
  script?: string;
  /** Environment-gated job: starts `waiting` until `approve(jobId)`; not assignable before. */
  waiting?: boolean;
}

/** A workflow run to enqueue. */
export interface RunSpec {
  /** `owner/name`, default `acme/app`. */
  repo?: string;
  /** Workflow name, default `CI`. */
  workflowName?: string;
  /** Branch, default `main`. */
  headBranch?: string;
  /** Triggering event, default `push`. */
  event?: string;
  jobs: JobSpec[];
}

export type JobStatus = 'queued' | 'waiting' | 'in_progress' | 'completed';

/** The fake's record of one job (exposed read-only to tests). */
export interface JobRecord {
  id: number;
  runId: number;
  runAttempt: number;
  repo: string;
  workflowName: string;
  headBranch: string;
  headSha: string;
  name: string;
  labels: string[];
  durationMs: number;
  result: JobResult;
  script: string | undefined;
  status: JobStatus;
  conclusion: string | null;
  /** Epoch ms. */
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  runnerId: number | null;
  runnerName: string | null;
  runnerGroupId: number | null;
  runnerGroupName: string | null;
  /** Set by cancel() while the job runs; the runner sees it on its next heartbeat. */
  cancelRequested: boolean;
  /** Why the fake failed the job itself (runner lost), if it did. */
  failureReason: string | null;
}

/** The fake's record of one workflow run. */
export interface RunRecord {
  id: number;
  repo: string;
  workflowName: string;
  headBranch: string;
  headSha: string;
  event: string;
  runAttempt: number;
  createdAt: number;
  updatedAt: number;
  jobIds: number[];
}

/** A self-hosted runner registration (org- or repo-scoped). */
export interface RunnerRecord {
  id: number;
  name: string;
  /** `org:acme` or `repo:acme/app`. */
  scope: string;
  labels: string[];
  runnerGroupId: number;
  ephemeral: boolean;
  os: string;
  version: string | null;
  /** OAuth client id in the runner's `.credentials`; the public half of its RSA key verifies its assertions. */
  clientId: string;
  publicKeyPem: string;
  sessionId: string | null;
  /** Epoch ms of the last poll/heartbeat; drives online/offline. */
  lastSeenAt: number | null;
  /** A long poll is open right now. */
  polling: boolean;
  jobId: number | null;
  /** Ephemeral runner that has taken its one job: it will take no other. */
  consumed: boolean;
  createdAt: number;
}

/** A runner group of an organisation. */
export interface RunnerGroupRecord {
  id: number;
  org: string;
  name: string;
  visibility: 'all' | 'selected' | 'private';
  default: boolean;
  /** GitHub-hosted group: generate-jitconfig into it is 403. */
  hosted: boolean;
}

/** A GitHub App known to the fake. */
export interface AppRecord {
  id: number;
  slug: string;
  clientId: string;
  /** PEM of the app's public key; JWTs must verify against it. */
  publicKeyPem: string;
  /** Webhook URL + secret of the app (deliveries carry `installation`). */
  webhookUrl?: string;
  webhookSecret?: string;
}

/** An installation of an app on an org. */
export interface InstallationRecord {
  id: number;
  appId: number;
  account: string;
  permissions: Record<string, string>;
}

/** An access token the fake accepts. */
export interface TokenRecord {
  token: string;
  kind: 'pat' | 'installation';
  /** Login (pat) or `app/slug` (installation) used in messages and `sender`. */
  login: string;
  installationId?: number;
  /** Epoch ms; absent = never. */
  expiresAt?: number;
  /** Installation permissions (installation tokens only). */
  permissions?: Record<string, string>;
  /** PATs only: orgs the token's user administers; absent = every org. Others answer 404. */
  orgs?: string[];
}

/** A repository or organisation webhook. */
export interface HookRecord {
  id: number;
  url: string;
  secret: string | undefined;
  /** `organization` + org login or `repository` + `owner/name`; `app` for an app hook. */
  targetType: 'organization' | 'repository' | 'integration';
  target: string;
  events: string[];
  appId?: number;
}
