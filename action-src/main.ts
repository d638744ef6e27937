/** Entry of the main step: wiring only. */
import * as core from '@actions/core';
import { actionsCore } from './actions-core';
import { buildDeps } from './deps';
import { errorMessage } from './errors';
import { parseInputs, readRunContext } from './inputs';
import { run } from './run';

async function main(): Promise<void> {
  try {
    const inputs = parseInputs(actionsCore);
    const context = readRunContext(process.env);
    const deps = await buildDeps(inputs, context);
    await run({ ...deps, inputs, context, core: actionsCore, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
  } catch (error: unknown) {
    core.setFailed(errorMessage(error));
  }
}

void main();
