/**
 * Input, output and state names, once. `test/action/action-yml.test.ts` checks that action.yml
 * declares exactly these, so the metadata and the code cannot drift.
 */
export const Inputs = {
  Mode: 'mode',
  Pool: 'pool',
  Count: 'count',
  Labels: 'labels',
  Hosts: 'hosts',
  Host: 'host',
  AgentSecret: 'agent-secret',
  AllowInsecure: 'allow-insecure',
  GitHubToken: 'github-token',
  AppId: 'app-id',
  PrivateKey: 'private-key',
  InstallationId: 'installation-id',
  Org: 'org',
  RunnerGroup: 'runner-group',
  GitHubApiUrl: 'github-api-url',
  WaitOnline: 'wait-online',
  WaitTimeoutSeconds: 'wait-timeout-seconds',
  Image: 'image',
  ImageSizeBytes: 'image-size-bytes',
  BatchSize: 'batch-size',
  CanaryHost: 'canary-host',
  PullTimeoutSeconds: 'pull-timeout-seconds',
  Warm: 'warm',
  Duration: 'duration',
} as const;

export const Outputs = {
  Label: 'label',
  Runners: 'runners',
  Status: 'status',
} as const;

/** What the main step saves for the post step: only what cleanup needs. */
export const State = {
  /** JSON array of runners minted by this step ({name, runnerId, host?}). */
  Runners: 'tartfleet-runners',
  /** Set once `start` placed every runner: the post step then leaves them to the run's jobs. */
  Complete: 'tartfleet-complete',
  /** The mode the main step ran in. */
  Mode: 'tartfleet-mode',
} as const;

export const MODES = ['start', 'stop', 'drain', 'resume', 'status', 'rollout', 'rollback', 'scale'] as const;
export type Mode = (typeof MODES)[number];

/** Upper bound of `count`: a run asking for more macOS VMs than a large fleet has is a typo. */
export const MAX_COUNT = 50;

/** Upper bound of `warm`: warm VMs per host (a host has at most a few slots). */
export const MAX_WARM = 64;

/** Upper bound of `duration`: a warm override longer than a month is a typo. */
export const MAX_DURATION_MS = 31 * 24 * 3600_000;

/** Upper bound of `batch-size`: hosts switched at once after the canary. */
export const MAX_BATCH_SIZE = 50;
