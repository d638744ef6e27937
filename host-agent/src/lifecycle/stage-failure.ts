import type { FailureReason, RunnerStage } from '../api/contract';

/** Why the lifecycle of one runner stopped early: the stage, the bounded reason and a message. */
export class StageFailure extends Error {
  override readonly name = 'StageFailure';
  constructor(
    readonly stage: RunnerStage,
    readonly reason: FailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Abort reasons for a runner's controller: who interrupted it and why. */
export class Interrupt extends Error {
  override readonly name = 'Interrupt';
  constructor(
    readonly kind: 'canceled' | 'agent-shutdown' | 'vm-stopped' | 'session-ended',
    message: string,
  ) {
    super(message);
  }
}
