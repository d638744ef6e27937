import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { authorize, type Identity } from '../auth';
import type { FakeContext } from '../context';
import { okJson } from '../json-response';
import { githubError, notFound, validationFailed } from '../github-error';
import { mintJitConfig } from '../jit-config';
import { paginate } from '../pagination';
import { runnerGroupJson, runnerJson, runnerLabelsFor, iso } from '../serialize';
import { scopeOf } from '../state';
import type { RunnerRecord } from '../types';

type Env = { Variables: { identity: Identity } };

const DOC_RUNNERS = '/actions/self-hosted-runners';

/** Resolves `:org` or `:owner/:repo` to a scope; 404 when unknown; authorizes. */
function scopeFor(c: Context<Env>, ctx: FakeContext, level: 'read' | 'write'): { scope: string; org: string } | Response {
  const org = c.req.param('org') ?? c.req.param('owner') ?? '';
  const repo = c.req.param('repo');
  if (repo === undefined ? !ctx.state.orgs.has(org) : !ctx.state.repos.has(`${org}/${repo}`)) {
    // Invisible and missing look the same on GitHub: 404, never 403.
    const denied = authorize(c, ctx.state, c.get('identity'), org, 'x', 'read');
    return denied && denied.status === 401 ? denied : notFound(c, DOC_RUNNERS);
  }
  const permission = repo === undefined ? 'organization_self_hosted_runners' : 'administration';
  const denied = authorize(c, ctx.state, c.get('identity'), org, permission, level);
  return denied ?? { scope: scopeOf(org, repo), org };
}

/** Self-hosted runner routes, org and repo forms, plus org runner groups. */
export function runnerRoutes(ctx: FakeContext): Hono<Env> {
  const app = new Hono<Env>();
  const { state } = ctx;
  const runnersIn = (scope: string): RunnerRecord[] => [...state.runners.values()].filter((r) => r.scope === scope);

  for (const prefix of ['/orgs/:org', '/repos/:owner/:repo']) {
    app.post(`${prefix}/actions/runners/generate-jitconfig`, async (c) => {
      const s = scopeFor(c, ctx, 'write');
      if (s instanceof Response) return s;
      const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') return githubError(c, 400, 'Problems parsing JSON', DOC_RUNNERS);
      for (const key of ['name', 'runner_group_id', 'labels']) {
        if (!(key in body)) return validationFailed(c, `Invalid input: object is missing required key: ${key}`, DOC_RUNNERS);
      }
      const { name, runner_group_id: groupId, labels } = body as { name: unknown; runner_group_id: unknown; labels: unknown };
      if (typeof name !== 'string' || name.length === 0) return validationFailed(c, `Invalid property /name: \`${JSON.stringify(name)}\` is not of type \`string\`.`, DOC_RUNNERS);
      if (typeof groupId !== 'number' || !Number.isInteger(groupId)) return validationFailed(c, `Invalid property /runner_group_id: \`${JSON.stringify(groupId)}\` is not of type \`integer\`.`, DOC_RUNNERS);
      if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) return validationFailed(c, `Invalid property /labels: \`${JSON.stringify(labels)}\` is not of type \`array\`.`, DOC_RUNNERS);
      if (labels.length === 0) return validationFailed(c, 'Invalid property /labels: 1 item required; only 0 were supplied', DOC_RUNNERS);
      if (labels.length > 100) return validationFailed(c, `Invalid property /labels: 100 items allowed; ${labels.length} were supplied`, DOC_RUNNERS);
      const group = state.groups.get(groupId);
      if (!group || group.org !== s.org) return notFound(c, DOC_RUNNERS);
      if (group.hosted) return githubError(c, 403, 'GitHub hosted runner groups cannot be modified', DOC_RUNNERS);
      if (runnersIn(s.scope).some((r) => r.name.toLowerCase() === name.toLowerCase())) {
        return githubError(c, 409, `Already exists - A runner with the name ${name} already exists.`, DOC_RUNNERS);
      }
      const base = ctx.publicUrl(c);
      const id = state.nextId();
      const workFolder = typeof body.work_folder === 'string' ? body.work_folder : '_work';
      const target = s.scope.slice(s.scope.indexOf(':') + 1);
      const minted = await mintJitConfig(
        { agentId: id, agentName: name, poolId: group.id, poolName: group.name, serverUrl: `${base}/_runner/`, gitHubUrl: `${base}/${target}`, workFolder, ephemeral: true, disableUpdate: true },
        `${base}/_runner/oauth2/token`,
        ctx.options.jitKeyBits,
      );
      // The name may have been taken while the key was generated.
      if (runnersIn(s.scope).some((r) => r.name.toLowerCase() === name.toLowerCase())) {
        return githubError(c, 409, `Already exists - A runner with the name ${name} already exists.`, DOC_RUNNERS);
      }
      const runner: RunnerRecord = {
        id, name, scope: s.scope, labels: runnerLabelsFor(labels as string[], ctx.options.labelsMode), runnerGroupId: group.id,
        ephemeral: true, os: 'unknown', version: null, clientId: minted.clientId, publicKeyPem: minted.publicKeyPem,
        sessionId: null, lastSeenAt: null, polling: false, jobId: null, consumed: false, createdAt: state.clock.now(),
      };
      state.runners.set(id, runner);
      return okJson(c, { runner: runnerJson(runner, state, ctx.options), encoded_jit_config: minted.encoded }, 201);
    });

    app.get(`${prefix}/actions/runners`, (c) => {
      const s = scopeFor(c, ctx, 'read');
      if (s instanceof Response) return s;
      const name = c.req.query('name');
      const all = runnersIn(s.scope).filter((r) => name === undefined || r.name === name).sort((a, b) => a.id - b.id);
      const page = paginate(c, all, ctx.publicUrl(c));
      if (page instanceof Response) return page;
      return okJson(c, { total_count: all.length, runners: page.map((r) => runnerJson(r, state, ctx.options)) });
    });

    app.get(`${prefix}/actions/runners/:runnerId{[0-9]+}`, (c) => {
      const s = scopeFor(c, ctx, 'read');
      if (s instanceof Response) return s;
      const runner = state.runners.get(Number(c.req.param('runnerId')));
      if (!runner || runner.scope !== s.scope) return notFound(c, DOC_RUNNERS);
      return okJson(c, runnerJson(runner, state, ctx.options));
    });

    app.delete(`${prefix}/actions/runners/:runnerId{[0-9]+}`, (c) => {
      const s = scopeFor(c, ctx, 'write');
      if (s instanceof Response) return s;
      const runner = state.runners.get(Number(c.req.param('runnerId')));
      if (!runner || runner.scope !== s.scope) return notFound(c, DOC_RUNNERS);
      if (runner.jobId !== null) return validationFailed(c, `Bad request - Runner "${runner.name}" is still running a job`, DOC_RUNNERS);
      state.runners.delete(runner.id);
      ctx.sessions.revoke(runner.id);
      ctx.engine.forgetRunner(runner.id);
      return c.body(null, 204);
    });

    for (const kind of ['registration-token', 'remove-token']) {
      app.post(`${prefix}/actions/runners/${kind}`, (c) => {
        const s = scopeFor(c, ctx, 'write');
        if (s instanceof Response) return s;
        // Not used with JIT configs; only the shape matters. Expires after one hour like GitHub's.
        const token = randomBytes(20).toString('base64').replace(/[^A-Z0-9]/gi, '').toUpperCase().slice(0, 29).padEnd(29, 'A');
        return okJson(c, { token, expires_at: iso(state.clock.now() + 3_600_000).replace('Z', '.000Z') }, 201);
      });
    }
  }

  app.get('/orgs/:org/actions/runner-groups', (c) => {
    const s = scopeFor(c, ctx, 'read');
    if (s instanceof Response) return s;
    const all = [...state.groups.values()].filter((g) => g.org === s.org).sort((a, b) => a.id - b.id);
    const page = paginate(c, all, ctx.publicUrl(c));
    if (page instanceof Response) return page;
    return okJson(c, { total_count: all.length, runner_groups: page.map((g) => runnerGroupJson(g, ctx.publicUrl(c))) });
  });

  app.get('/orgs/:org/actions/runner-groups/:groupId{[0-9]+}/runners', (c) => {
    const s = scopeFor(c, ctx, 'read');
    if (s instanceof Response) return s;
    const group = state.groups.get(Number(c.req.param('groupId')));
    if (!group || group.org !== s.org) return notFound(c, DOC_RUNNERS);
    const all = [...state.runners.values()].filter((r) => r.runnerGroupId === group.id && r.scope === s.scope).sort((a, b) => a.id - b.id);
    const page = paginate(c, all, ctx.publicUrl(c));
    if (page instanceof Response) return page;
    return okJson(c, { total_count: all.length, runners: page.map((r) => runnerJson(r, state, ctx.options)) });
  });

  return app;
}
