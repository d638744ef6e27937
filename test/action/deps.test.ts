import { describe, expect, it } from 'vitest';
import { buildDeps } from '../../action-src/deps';
import type { ActionInputs } from '../../action-src/inputs';

const context = { runId: 1, runAttempt: 1, repository: 'acme/app' };
const base = {
  pool: 'macos',
  hosts: ['https://mac-1.example:8420'],
  agentSecret: 'x'.repeat(40),
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
