import type { FailureReason, RunnerStage } from '../../../core/agent-api/contract';
import { TartfleetError } from '../../../core/errors';

/** Why a VM's way through its stages stopped early: the stage, the bounded reason and a message. */
export class StageFailure extends TartfleetError {
  override readonly name = 'StageFailure';
  constructor(
    readonly stage: RunnerStage,
    readonly reason: FailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason, message, options);
  }
}

/** Abort reasons for a VM's controller: who interrupted it and why. */
export class Interrupt extends TartfleetError {
  override readonly name = 'Interrupt';
  constructor(
    readonly kind: 'canceled' | 'agent-shutdown' | 'vm-stopped' | 'session-ended',
    message: string,
  ) {
    super(kind, message);
  }
}
