/**
 * The post step of `start`. After a start that placed every runner it does nothing: the post step
 * runs when the provisioning job ends, before the run's macOS jobs have even started, and those jobs
 * need the runners. After a failed or cancelled start it removes what that start created; leftovers
 * of a successful start are removed by a final `mode: stop` job (`if: always()`).
 */
import { State } from './constants';
import type { ActionCore } from './core';
import { cleanup } from './cleanup';
import { buildDeps } from './deps';
import { parseInputs } from './inputs';
import { readRunContext, type GitHubContext } from './run-context';
import type { SavedRunner } from './run-runners';

export async function runPost(core: ActionCore, github: GitHubContext, fetchImpl?: typeof fetch): Promise<void> {
  if (core.getState(State.Mode) !== 'start') return;
  if (core.getState(State.Complete) === 'true') {
    core.info('tartfleet: every runner was placed; they stay for this run\'s jobs (a final `mode: stop` job removes leftovers)');
    return;
  }
  const saved = JSON.parse(core.getState(State.Runners) || '[]') as SavedRunner[];
  const inputs = parseInputs(core);
  const context = readRunContext(github);
  const deps = await buildDeps(inputs, context, fetchImpl);
  await cleanup({ inputs, context, core, github: deps.github, agents: deps.agents }, saved);
}
