/** The main step: one function per mode over injected collaborators. */
import type { Clock } from '../core/clock';
import { State } from './constants';
import type { ActionCore } from './core';
import { cleanup } from './cleanup';
import type { ActionDeps } from './deps';
import { ActionError } from './errors';
import { drainOrResume, status } from './host-ops';
import type { ActionInputs } from './inputs';
import type { RunContext } from './run-context';
import { rollback, rollout } from './rollout';
import { scale } from './scale';
import { start } from './start';

export interface RunDeps extends ActionDeps {
  inputs: ActionInputs;
  context: RunContext;
  core: ActionCore;
  clock: Clock;
}

export async function run(deps: RunDeps): Promise<void> {
  const { inputs, core } = deps;
  core.saveState(State.Mode, inputs.mode);
  core.debug(`mode=${inputs.mode} pool=${inputs.pool} count=${inputs.count} hosts=${inputs.hosts.join(',')}`);
  switch (inputs.mode) {
    case 'start':
      if (!deps.github) throw new ActionError('input', 'mode start needs GitHub credentials');
      await start({ ...deps, github: deps.github });
      return;
    case 'stop':
      await cleanup(deps);
      return;
    case 'drain':
    case 'resume': {
      const host = inputs.host ?? '';
      const agent = deps.agents.get(host);
      if (!agent) throw new ActionError('input', `host '${host}' is not among the hosts`);
      await drainOrResume(core, host, agent, inputs.mode);
      return;
    }
    case 'status':
      await status(core, deps.agents);
      return;
    case 'rollout':
      await rollout(deps);
      return;
    case 'rollback':
      await rollback(deps);
      return;
    case 'scale':
      await scale(deps);
      return;
  }
}
