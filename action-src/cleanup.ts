/**
 * The post step and mode `stop`: remove this run's runners that are not running a job — their GitHub
 * registrations and their VMs. Idempotent, and it never fails the job: problems become warnings
 * (a cleanup step that turns a green job red is worse than a runner the agent reaps anyway).
 */
import type { AgentClient } from '../core/agent-api/client';
import type { GitHubApi } from '../dispatcher/src/github/github-api';
import type { ActionCore } from './core';
import { errorMessage } from './errors';
import type { ActionInputs } from './inputs';
import type { RunContext } from './run-context';
import { isRunRunner, type SavedRunner } from './run-runners';

export interface CleanupDeps {
  inputs: Pick<ActionInputs, 'pool'>;
  context: RunContext;
  core: ActionCore;
  github: Pick<GitHubApi, 'listRunners' | 'deleteRunner'> | undefined;
  agents: ReadonlyMap<string, Pick<AgentClient, 'listRunners' | 'cancelRunner'>>;
}

export interface CleanupReport {
  registrationsDeleted: string[];
  vmsTornDown: string[];
  /** Runners left alone because a job is running on them (the JIT runner removes itself after it). */
  busy: string[];
}

/** `known` are the runners the main step saved; the run's other runners are found by name. */
export async function cleanup(deps: CleanupDeps, known: readonly SavedRunner[] = []): Promise<CleanupReport> {
  const { core, context } = deps;
  const ours = (name: string) => isRunRunner(name, deps.inputs.pool, context) || known.some((k) => k.name === name);
  const report: CleanupReport = { registrationsDeleted: [], vmsTornDown: [], busy: [] };

  if (deps.github) {
    try {
      for (const r of (await deps.github.listRunners()).filter((r) => ours(r.name))) {
        if (r.busy) {
          report.busy.push(r.name);
          continue;
        }
        const outcome = await deps.github.deleteRunner(r.id);
        if (outcome === 'busy') report.busy.push(r.name);
        else report.registrationsDeleted.push(r.name);
      }
    } catch (error: unknown) {
      core.warning(`cleanup: could not list or delete this run's runner registrations: ${errorMessage(error)}`);
    }
  }

  for (const [host, agent] of deps.agents) {
    try {
      for (const rec of (await agent.listRunners()).filter((r) => ours(r.name))) {
        if (rec.stage === 'gone' || rec.stage === 'failed' || rec.stage === 'tearing-down') continue;
        if (rec.stage === 'running') {
          if (!report.busy.includes(rec.name)) report.busy.push(rec.name);
          continue;
        }
        if (await agent.cancelRunner(rec.name)) report.vmsTornDown.push(rec.name);
      }
    } catch (error: unknown) {
      core.warning(`cleanup: agent ${host} could not be asked to tear down this run's VMs: ${errorMessage(error)}`);
    }
  }

  core.info(
    `cleanup: ${report.registrationsDeleted.length} registration(s) deleted, ${report.vmsTornDown.length} VM(s) torn down` +
      (report.busy.length > 0 ? `, ${report.busy.length} still running a job (${report.busy.join(', ')})` : ''),
  );
  return report;
}
