import type { Context } from 'hono';
import type { Faults } from './faults';
import type { JobEngine } from './job-engine';
import type { RateLimiter } from './rate-limiter';
import type { RunnerSessions } from './runner-sessions';
import type { FakeState } from './state';
import type { WebhookSender } from './webhook-sender';

/** Timings and switches of a fake instance, with defaults applied. */
export interface ResolvedOptions {
  /** Base URL put into JIT configs and `Link` headers; default: the request's own origin. */
  publicUrl: string | undefined;
  jobLostTimeoutMs: number;
  runnerOfflineAfterMs: number;
  pollTimeoutMs: number;
  heartbeatIntervalMs: number;
  webhookTimeoutMs: number;
  jitKeyBits: number;
  /**
   * `as-sent`: the 201 carries exactly the labels sent, lower-cased, all read-only (observed live).
   * `with-defaults`: GitHub docs' example — `self-hosted`, OS and arch read-only labels plus custom ones.
   */
  labelsMode: 'as-sent' | 'with-defaults';
}

/** Everything a route needs, built once per fake instance. */
export interface FakeContext {
  state: FakeState;
  engine: JobEngine;
  sessions: RunnerSessions;
  webhooks: WebhookSender;
  limiter: RateLimiter;
  faults: Faults;
  /** REST requests answered, by `METHOD /route/{id}` and status (what a test counts). */
  requests: Map<string, number>;
  options: ResolvedOptions;
  /** The origin clients reach this fake on (no trailing slash). */
  publicUrl(c: Context): string;
}
