import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJitConfig, startFakeGitHub, type RunningFakeGitHub } from './src';
import { makeAppKey } from './helpers/app-key';

const Kit = Octokit.plugin(retry, throttling);

let fake: RunningFakeGitHub;
let key: { privateKey: string };
const secondaryHits: number[] = [];

function appOctokit(id: string): InstanceType<typeof Kit> {
  return new Kit({
    baseUrl: fake.url,
    authStrategy: createAppAuth,
    auth: { appId: 321, privateKey: key.privateKey, installationId: 88 },
    retry: { retryAfterBaseValue: 1 },
    throttle: {
      id,
      retryAfterBaseValue: 1,
      onRateLimit: () => true,
      onSecondaryRateLimit: (retryAfter: number) => {
        secondaryHits.push(retryAfter);
        return true;
      },
    },
  });
}

beforeEach(async () => {
  key = makeAppKey();
  fake = await startFakeGitHub({ jitKeyBits: 1024, apps: [{ id: 321, key: key.privateKey, installations: [{ id: 88, account: 'acme' }] }] });
  secondaryHits.length = 0;
});
afterEach(async () => {
  await fake.close();
});

describe('Octokit (rest + retry + throttling + auth-app) against the fake', () => {
  it('mints JIT configs, lists, paginates, deletes, survives a secondary rate limit', async () => {
    const octokit = appOctokit(`e2e-${Date.now()}`);
    const { data: groups } = await octokit.request('GET /orgs/{org}/actions/runner-groups', { org: 'acme' });
    const defaultGroup = groups.runner_groups.find((g) => g.default);
    expect(defaultGroup?.id).toBe(1);

    const names = ['mac-a', 'mac-b', 'mac-c'];
    for (const name of names) {
      const { status, data } = await octokit.rest.actions.generateRunnerJitconfigForOrg({ org: 'acme', name, runner_group_id: 1, labels: ['self-hosted', 'macOS', 'ARM64'] });
      expect(status).toBe(201);
      expect(data.runner.labels.map((l) => l.name)).toEqual(['self-hosted', 'macos', 'arm64']);
      const decoded = decodeJitConfig(data.encoded_jit_config);
      expect(decoded.runner).toMatchObject({ agentId: data.runner.id, agentName: name, serverUrl: `${fake.url}/_runner/` });
    }
    const conflict = await octokit.rest.actions.generateRunnerJitconfigForOrg({ org: 'acme', name: 'mac-a', runner_group_id: 1, labels: ['x'], request: { retries: 0 } }).catch((e: { status: number; message: string }) => e);
    expect(conflict).toMatchObject({ status: 409 });
    expect((conflict as { message: string }).message).toContain('Already exists - A runner with the name mac-a already exists.');

    const all = await octokit.paginate(octokit.rest.actions.listSelfHostedRunnersForOrg, { org: 'acme', per_page: 2 });
    expect(all.map((r) => r.name)).toEqual(names);
    expect(all.every((r) => r.status === 'offline' && !r.busy)).toBe(true);
    const { data: byName } = await octokit.rest.actions.listSelfHostedRunnersForOrg({ org: 'acme', name: 'mac-b' });
    expect(byName.runners.map((r) => r.name)).toEqual(['mac-b']);

    // Secondary limit on the next two POSTs: throttling waits retry-after (×1 ms) and retries.
    fake.rateLimits.secondary.retryAfterSeconds = 2;
    fake.rateLimits.forceSecondary({ count: 2, method: 'POST', path: /generate-jitconfig$/ });
    const { status } = await octokit.rest.actions.generateRunnerJitconfigForOrg({ org: 'acme', name: 'mac-d', runner_group_id: 1, labels: ['self-hosted'] });
    expect(status).toBe(201);
    expect(secondaryHits).toEqual([2, 2]);

    for (const r of all) expect((await octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: 'acme', runner_id: r.id })).status).toBe(204);
    const missing = await octokit.rest.actions.getSelfHostedRunnerForOrg({ org: 'acme', runner_id: all[0]?.id ?? 0 }).catch((e: { status: number }) => e);
    expect(missing).toMatchObject({ status: 404 });
    const left = await octokit.paginate(octokit.rest.actions.listSelfHostedRunnersForOrg, { org: 'acme' });
    expect(left.map((r) => r.name)).toEqual(['mac-d']);
  });

  it('retries a 5xx that happened after the runner was created and then gets 409 (the documented hazard)', async () => {
    const octokit = appOctokit(`hazard-${Date.now()}`);
    fake.faults.add({ method: 'POST', path: /generate-jitconfig$/, status: 502, afterCommit: true });
    const error = await octokit.rest.actions.generateRunnerJitconfigForOrg({ org: 'acme', name: 'dup', runner_group_id: 1, labels: ['self-hosted'] }).catch((e: { status: number }) => e);
    expect(error).toMatchObject({ status: 409 });
    const { data } = await octokit.rest.actions.listSelfHostedRunnersForOrg({ org: 'acme', name: 'dup' });
    expect(data.total_count).toBe(1);
  });

  it('primary rate limit: 403 with remaining 0 and reset, GitHub message', async () => {
    const res = await fetch(`${fake.url}/orgs/acme/actions/runners`, { headers: { authorization: 'token test-token' } });
    expect(res.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('4999');
    expect(res.headers.get('x-ratelimit-resource')).toBe('core');
    expect(res.headers.get('x-github-request-id')).toMatch(/^[0-9A-F:]+$/);
    fake.rateLimits.setRemaining('pat:octocat', 0);
    const limited = await fetch(`${fake.url}/orgs/acme/actions/runners`, { headers: { authorization: 'token test-token' } });
    expect(limited.status).toBe(403);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(await limited.json()).toMatchObject({ message: 'API rate limit exceeded for user ID octocat.' });
  });

  it('auth failures have GitHub bodies: bad token 401, expired JWT 401, missing permission 403, other org 404', async () => {
    const bad = await fetch(`${fake.url}/orgs/acme/actions/runners`, { headers: { authorization: 'Bearer nope' } });
    expect([bad.status, ((await bad.json()) as { message: string }).message]).toEqual([401, 'Bad credentials']);
    const none = await fetch(`${fake.url}/orgs/acme/actions/runners`);
    expect([none.status, ((await none.json()) as { message: string }).message]).toEqual([401, 'Requires authentication']);

    const { createSign } = await import('node:crypto');
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = (claims: object): string => {
      const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
      return `${body}.${createSign('RSA-SHA256').update(body).sign(key.privateKey).toString('base64url')}`;
    };
    const tooLong = await fetch(`${fake.url}/app`, { headers: { authorization: `Bearer ${jwt({ iss: 321, iat: now, exp: now + 3600 })}` } });
    expect([tooLong.status, ((await tooLong.json()) as { message: string }).message]).toEqual([401, "'Expiration time' claim ('exp') is too far in the future"]);
    const ok = await fetch(`${fake.url}/app`, { headers: { authorization: `Bearer ${jwt({ iss: 321, iat: now - 30, exp: now + 540 })}` } });
    expect(ok.status).toBe(200);

    fake.addApp({ id: 999, key: key.privateKey, installations: [{ id: 5, account: 'acme', permissions: { actions: 'read' } }] });
    const tokenRes = await fetch(`${fake.url}/app/installations/5/access_tokens`, { method: 'POST', headers: { authorization: `Bearer ${jwt({ iss: 999, iat: now - 30, exp: now + 540 })}` } });
    const { token } = (await tokenRes.json()) as { token: string };
    const denied = await fetch(`${fake.url}/orgs/acme/actions/runners/generate-jitconfig`, { method: 'POST', headers: { authorization: `token ${token}` }, body: JSON.stringify({ name: 'x', runner_group_id: 1, labels: ['a'] }) });
    expect([denied.status, ((await denied.json()) as { message: string }).message]).toEqual([403, 'Resource not accessible by integration']);
    expect(denied.headers.get('x-accepted-github-permissions')).toBe('organization_self_hosted_runners=write');
    fake.addOrg('other');
    const elsewhere = await fetch(`${fake.url}/orgs/other/actions/runners`, { headers: { authorization: `token ${token}` } });
    expect(elsewhere.status).toBe(404);
  });
});
