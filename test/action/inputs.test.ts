import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseInputs } from '../../action-src/inputs';
import { readRunContext } from '../../action-src/run-context';
import type { ActionCore } from '../../action-src/core';

const SECRET = 'x'.repeat(40);

function fakeCore(inputs: Record<string, string>): ActionCore & { secrets: string[] } {
  const secrets: string[] = [];
  return {
    secrets,
    getInput: (name) => inputs[name] ?? '',
    setSecret: (v) => secrets.push(v),
    setOutput: () => {},
    saveState: () => {},
    getState: () => '',
    debug: () => {},
    info: () => {},
    warning: () => {},
    summary: async () => {},
  };
}

const base = { hosts: 'https://mac-1.example:8420', 'agent-secret': SECRET, 'github-token': 'ghp_token' };

describe('parseInputs', () => {
  it('applies defaults and masks secrets as soon as they are read', () => {
    const core = fakeCore(base);
    const inputs = parseInputs(core);
    expect(inputs).toMatchObject({ mode: 'start', pool: 'macos', count: 1, hosts: ['https://mac-1.example:8420'], waitOnline: false });
    expect(core.secrets).toEqual(expect.arrayContaining([SECRET, 'ghp_token']));
    expect(Object.isFrozen(inputs)).toBe(true);
  });

  it.each([
    [{ mode: 'explode' }, "Input 'mode' must be one of start, stop, drain, resume, status, rollout, rollback, scale, got 'explode'"],
    [{ count: '0' }, "Input 'count' must be a whole number from 1 to 50, got '0'"],
    [{ count: 'two' }, "Input 'count' must be a whole number from 1 to 50, got 'two'"],
    [{ hosts: 'not a url' }, "Input 'hosts' must list agent URLs like https://mac-mini-1.example:8420, got 'not a url'"],
    [{ hosts: 'ftp://mac-1:8420' }, "Input 'hosts' must list http(s) URLs, got 'ftp://mac-1:8420'"],
    [{ hosts: '' }, "Input 'hosts' must list at least one agent URL, got nothing"],
    [{ 'agent-secret': 'short' }, "Input 'agent-secret' must be the agents' shared secret (at least 32 characters), got 5 characters"],
    [{ pool: 'Mac OS' }, "Input 'pool' must match"],
    [{ labels: 'ok, bad label' }, "Input 'labels' entries must be letters, digits"],
    [{ 'wait-online': 'yes' }, "Input 'wait-online' must be true or false, got 'yes'"],
    [{ 'github-token': '' }, "Input 'github-token' or 'app-id' + 'private-key' is required for mode 'start'"],
    [{ 'app-id': 'abc', 'private-key': 'x' }, "Input 'app-id' must be the GitHub App's numeric id, got 'abc'"],
    [{ mode: 'drain', hosts: 'https://a:1,https://b:2' }, "Input 'host' must name one of the hosts for mode 'drain'"],
    [{ mode: 'scale' }, "Input 'warm' is required for mode 'scale' (warm VMs per host, 0-64), got nothing"],
    [{ mode: 'scale', warm: '-1' }, "Input 'warm' must be a whole number from 0 to 64, got '-1'"],
    [{ mode: 'scale', warm: '2', duration: 'soon' }, "Input 'duration' must be a duration like 90m, 2h or 1d12h (at most 31 days), got 'soon'"],
    [{ mode: 'scale', warm: '2', duration: '40d' }, "Input 'duration' must be a duration like 90m, 2h or 1d12h (at most 31 days), got '40d'"],
    [{ mode: 'scale', warm: '2', host: 'https://elsewhere:1' }, "Input 'host' must be one of https://mac-1.example:8420, got 'https://elsewhere:1'"],
  ])('rejects %o naming the input', (override, message) => {
    expect(() => parseInputs(fakeCore({ ...base, ...override }))).toThrow(message);
  });

  it('masks an App key both as typed and as used (literal \\n turned into line breaks)', () => {
    const typed = '-----BEGIN RSA PRIVATE KEY-----\\nAAAA\\n-----END RSA PRIVATE KEY-----';
    const core = fakeCore({ ...base, 'github-token': '', 'app-id': '12', 'private-key': typed });
    const auth = parseInputs(core).githubAuth as { privateKey: string };
    expect(auth.privateKey).toBe('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----');
    expect(core.secrets).toEqual(expect.arrayContaining([typed, auth.privateKey]));
  });

  it('splits hosts and labels on commas and newlines', () => {
    const inputs = parseInputs(fakeCore({ ...base, hosts: 'https://a:1/\nhttps://b:2, https://c:3', labels: 'xcode-26\n arm64 ' }));
    expect(inputs.hosts).toEqual(['https://a:1', 'https://b:2', 'https://c:3']);
    expect(inputs.extraLabels).toEqual(['xcode-26', 'arm64']);
  });

  it('scale reads the warm count and a duration', () => {
    expect(parseInputs(fakeCore({ ...base, 'github-token': '', mode: 'scale', warm: '2', duration: '1d12h' }))).toMatchObject({ mode: 'scale', warm: 2, durationMs: 36 * 3600_000 });
    expect(parseInputs(fakeCore({ ...base, 'github-token': '', mode: 'scale', warm: '0' }))).toMatchObject({ warm: 0, durationMs: undefined });
  });

  it('drain and status need no GitHub credentials', () => {
    expect(parseInputs(fakeCore({ ...base, 'github-token': '', mode: 'status' })).githubAuth).toBeUndefined();
    expect(parseInputs(fakeCore({ ...base, 'github-token': '', mode: 'drain' })).host).toBe('https://mac-1.example:8420');
  });
});

describe('readRunContext', () => {
  afterEach(() => vi.unstubAllEnvs());

  /** `@actions/github`'s context class, hydrated from the environment as it is when constructed. */
  async function freshContext(env: Record<string, string | undefined>) {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    // The class behind `github.context`; the package's exports map only exposes the instance.
    const { Context } = (await import('../../node_modules/@actions/github/lib/context.js')) as { Context: new () => typeof import('@actions/github').context };
    return new Context();
  }

  it('reads the run identity from @actions/github and rejects a missing one', async () => {
    expect(readRunContext(await freshContext({ GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_REPOSITORY: 'acme/app' }))).toEqual({ runId: 42, runAttempt: 2, repository: 'acme/app' });
    await expect(freshContext({ GITHUB_RUN_ID: undefined, GITHUB_RUN_ATTEMPT: '1', GITHUB_REPOSITORY: 'acme/app' }).then(readRunContext)).rejects.toThrow('GITHUB_RUN_ID');
    await expect(freshContext({ GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1', GITHUB_REPOSITORY: undefined }).then(readRunContext)).rejects.toThrow('GITHUB_REPOSITORY');
  });
});
