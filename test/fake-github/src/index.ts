export { createFakeGitHub, type FakeGitHub, type FakeGitHubOptions, type AppSeed, type WebhookSeed, type JobView } from './create-fake-github';
export { startFakeGitHub, type RunningFakeGitHub } from './start-fake-github';
export { decodeJitConfig } from './jit-config';
export { runnerMatchesJob } from './job-engine';
export type { JobSpec, RunSpec, JobRecord, RunnerRecord } from './types';
export type { DeliveryRecord, WebhookFault } from './webhook-sender';
export type { FaultSpec } from './faults';
export { createControlClient, type ControlClient } from './control-client';
