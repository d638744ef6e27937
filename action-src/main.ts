/** Entry of the main step: wiring only. */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { systemClock } from '../core/clock';
import { actionsCore } from './actions-core';
import { buildDeps } from './deps';
import { errorMessage } from './errors';
import { parseInputs } from './inputs';
import { readRunContext } from './run-context';
import { run } from './run';

async function main(): Promise<void> {
  try {
    const inputs = parseInputs(actionsCore);
    const context = readRunContext(github.context);
    const deps = await buildDeps(inputs, context);
    await run({ ...deps, inputs, context, core: actionsCore, clock: systemClock });
  } catch (error: unknown) {
    core.setFailed(errorMessage(error));
  }
}

void main();
