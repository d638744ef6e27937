import { describe, expect, it } from 'vitest';
import { buildDeps } from '../../action-src/deps';
import { parseInputs, type ActionInputs } from '../../action-src/inputs';
import { fakeActionCore } from '../fakes/fake-action-core';
import { ADMIN_SECRET, buildTestApp, SECRET } from '../helpers/test-app';

const context = { runId: 1, runAttempt: 1, repository: 'acme/app' };
const base = {
  pool: 'macos',
  hosts: ['https://mac-1.example:8420'],
  agentSecret: 'x'.repeat(40),
  signingSecret: 'x'.repeat(40),
  allowInsecure: false,
  runnerGroup: 'Default',
  org: undefined,
  // Nothing listens here: a GitHub call would fail.
  githubApiUrl: 'http://127.0.0.1:9',
  githubAuth: { appId: '12', privateKey: '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----', installationId: undefined },
};

describe('buildDeps', () => {
  it.each(['status', 'drain', 'resume', 'rollout', 'rollback'])('mode %s builds no GitHub client, so an App lookup cannot fail it', async (mode) => {
    const deps = await buildDeps({ ...base, mode } as unknown as ActionInputs, context);
    expect(deps.github).toBeUndefined();
    expect([...deps.agents.keys()]).toEqual(['https://mac-1.example:8420']);
  });

  it('mode start looks the App installation up, and names the failure', async () => {
    await expect(buildDeps({ ...base, mode: 'start' } as unknown as ActionInputs, context)).rejects.toThrow("could not find the GitHub App's installation on acme/app");
  });
});

describe('the action signs with the scope its mode needs', () => {
  const HOST = 'https://mac-1.example:8420';
  const core = (inputs: Record<string, string>) =>
    fakeActionCore({ hosts: HOST, 'agent-secret': SECRET, 'admin-secret': ADMIN_SECRET, 'github-token': 'ghp_token', ...inputs });
  /** The real agent app (runner and admin secrets apart) as the action's fetch. */
  const agentFetch = (app: ReturnType<typeof buildTestApp>['app']): typeof fetch => async (input, init) => app.request(String(input), init);

  it.each(['drain', 'resume'])('mode %s drives the agent with the admin secret', async (mode) => {
    const agent = buildTestApp({ nowMs: Date.now() });
    const deps = await buildDeps(parseInputs(core({ mode })), context, agentFetch(agent.app));
    const client = deps.agents.get(HOST)!;
    expect((await (mode === 'drain' ? client.drain() : client.resume())).draining).toBe(mode === 'drain');
  });

  it('mode start holds only the runner secret: it starts runners, and the agent refuses it a drain', async () => {
    const agent = buildTestApp({ nowMs: Date.now() });
    const deps = await buildDeps(parseInputs(core({ mode: 'start' })), context, agentFetch(agent.app));
    const client = deps.agents.get(HOST)!;
    expect((await client.host()).id).toBe('mini-test');
    await expect(client.drain()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    expect(agent.fake.calls).toEqual([]);
  });
});
