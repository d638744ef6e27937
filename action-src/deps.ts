/**
 * Builds the real collaborators from validated inputs: one agent client per host, the dispatcher's
 * placement engine, and GitHub through the dispatcher's Octokit wrapper (retries off for minting).
 */
import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import { systemClock } from '../core/clock';
import { createAgentClient, type AgentClient, type AgentImageClient } from '../core/agent-api/client';
import { createPlacer, type Placer } from '../dispatcher/src/placement';
import { createOctokitGitHub } from '../dispatcher/src/github/create-octokit-github';
import type { GitHubApi } from '../dispatcher/src/github/github-api';
import { ActionError, errorMessage } from './errors';
import type { ActionInputs } from './inputs';
import type { RunContext } from './run-context';

export interface ActionDeps {
  agents: Map<string, AgentClient & AgentImageClient>;
  placer: Placer;
  /** Undefined when no GitHub credentials were given (drain/resume/status). */
  github: GitHubApi | undefined;
}

/** An App without an installation id: find the installation of the org or repository (JWT auth). */
async function resolveInstallationId(inputs: ActionInputs, ctx: RunContext, appId: string, privateKey: string): Promise<number> {
  const kit = new Octokit({ baseUrl: inputs.githubApiUrl, authStrategy: createAppAuth, auth: { appId, privateKey } });
  const [owner = '', repo = ''] = ctx.repository.split('/');
  try {
    const res = inputs.org ? await kit.rest.apps.getOrgInstallation({ org: inputs.org }) : await kit.rest.apps.getRepoInstallation({ owner, repo });
    return res.data.id;
  } catch (error: unknown) {
    throw new ActionError('github', `could not find the GitHub App's installation on ${inputs.org ?? ctx.repository}: ${errorMessage(error)}`);
  }
}

export async function buildDeps(inputs: ActionInputs, ctx: RunContext, fetchImpl?: typeof fetch): Promise<ActionDeps> {
  const agents = new Map(
    inputs.hosts.map((host) => [
      host,
      createAgentClient({ baseUrl: host, secret: inputs.signingSecret, timeoutMs: 10_000, allowInsecure: inputs.allowInsecure, ...(fetchImpl ? { fetch: fetchImpl } : {}) }),
    ]),
  );
  const placer = createPlacer({
    agents,
    poolHosts: new Map([[inputs.pool, [...inputs.hosts]]]),
    clock: systemClock,
    cacheMs: 0,
    timeoutMs: 5_000,
  });

  let github: GitHubApi | undefined;
  const a = inputs.githubAuth;
  // Only start and stop (and start's post step) touch GitHub; other modes must not fail on, or wait
  // for, an App installation lookup they never use.
  if (a && (inputs.mode === 'start' || inputs.mode === 'stop')) {
    const auth =
      'token' in a
        ? { token: a.token }
        : { appId: a.appId, privateKey: a.privateKey, installationId: a.installationId ?? (await resolveInstallationId(inputs, ctx, a.appId, a.privateKey)) };
    github = createOctokitGitHub({
      github: {
        apiUrl: inputs.githubApiUrl,
        auth,
        ...(inputs.org ? { org: inputs.org } : { repo: ctx.repository }),
        runnerGroup: inputs.runnerGroup,
        writesPerMinute: 150,
        readShare: 0.5,
        requestTimeoutMs: 10_000,
      },
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
  }
  return { agents, placer, github };
}
