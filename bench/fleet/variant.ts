/** What the three variants share: the workload, the environment each one gets, its controller. */
import type { FakeGitHub } from '../../test/fake-github/src/create-fake-github';
import type { InProcessNet } from './in-process-net';
import type { ScaledClock } from './scaled-clock';
import type { SimHost } from './sim-host';

/** Where the dispatcher is served on the in-process network (agents call it back there). */
export const DISPATCHER_URL = 'http://127.0.0.2:8430';

export interface Workload {
  hosts: number;
  jobs: number;
  /** Jobs per workflow run (the burst is jobs / runSize runs, enqueued at once). */
  runSize: number;
  /** Simulated milliseconds. */
  bootMs: number;
  jobMs: number;
  /** Simulated time runs this many times faster than real time. */
  scale: number;
}

export interface FleetEnv {
  net: InProcessNet;
  clock: ScaledClock;
  github: FakeGitHub;
  /** Empty for a variant that runs no agents. */
  hosts: SimHost[];
  workload: Workload;
}

export interface Controller {
  /** Extra result fields (e.g. the dispatcher's own counters). */
  report?(): Record<string, unknown>;
  stop(): Promise<void>;
}

export interface Variant {
  name: string;
  /** What the variant does, in a sentence (the JSON says it). */
  design: string;
  /** Whether it runs the agents (always-on runners need none: no VM per job). */
  agents: boolean;
  /** Agents call the dispatcher back when a slot frees. */
  slotCallback: boolean;
  /** Registrations it keeps by design after the burst (always-on runners), not leaks. */
  keepsRegistrations: boolean;
  start(env: FleetEnv): Promise<Controller>;
}
