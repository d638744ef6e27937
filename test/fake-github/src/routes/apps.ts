import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { authorize, requireApp, type Identity } from '../auth';
import type { FakeContext } from '../context';
import { okJson } from '../json-response';
import { githubError, notFound, validationFailed } from '../github-error';
import { paginate } from '../pagination';
import { fullRepositoryJson, iso, ownerIdOf, ownerJson } from '../serialize';
import type { InstallationRecord } from '../types';
import type { DeliveryRecord } from '../webhook-sender';

type Env = { Variables: { identity: Identity } };

const DOC_APPS = '/apps/apps';
const DOC_HOOKS = '/apps/webhooks';

/** GitHub App routes (JWT), installation routes (installation token), deliveries and `/rate_limit`. */
export function appRoutes(ctx: FakeContext): Hono<Env> {
  const app = new Hono<Env>();
  const { state } = ctx;

  const installationJson = (inst: InstallationRecord, base: string): Record<string, unknown> => {
    const a = state.apps.get(inst.appId);
    const created = iso(0);
    return {
      id: inst.id, account: ownerJson(inst.account, ownerIdOf(inst.account), base), repository_selection: 'all',
      access_tokens_url: `${base}/app/installations/${inst.id}/access_tokens`, repositories_url: `${base}/installation/repositories`,
      html_url: `${base}/organizations/${inst.account}/settings/installations/${inst.id}`, app_id: inst.appId, app_slug: a?.slug ?? 'app',
      target_id: ownerIdOf(inst.account), target_type: 'Organization', permissions: inst.permissions, events: ['workflow_job'],
      created_at: created, updated_at: created, single_file_name: null, has_multiple_single_files: false, single_file_paths: [],
      suspended_by: null, suspended_at: null,
    };
  };

  const deliveryJson = (d: DeliveryRecord, full = false): Record<string, unknown> => ({
    id: d.id, guid: d.guid, delivered_at: new Date(d.deliveredAt).toISOString().replace(/\.\d+Z$/, 'Z'), redelivery: d.redelivery,
    duration: d.durationMs / 1000, status: d.status, status_code: d.statusCode, event: d.event, action: d.action,
    installation_id: d.installationId, repository_id: d.repositoryId, throttled_at: null,
    ...(full ? {
      url: '',
      request: { headers: d.requestHeaders, payload: JSON.parse(d.body) as unknown },
      response: { headers: {}, payload: d.responseBody },
    } : {}),
  });

  for (const path of ['/orgs/:org/installation', '/repos/:owner/:repo/installation']) {
    app.get(path, (c) => {
      const who = requireApp(c, c.get('identity'));
      if (who instanceof Response) return who;
      const account = c.req.param('org') ?? c.req.param('owner') ?? '';
      const repo = c.req.param('repo');
      if (repo !== undefined && !state.repos.has(`${account}/${repo}`)) return notFound(c, DOC_APPS);
      const inst = [...state.installations.values()].find((i) => i.appId === who.id && i.account.toLowerCase() === account.toLowerCase());
      return inst ? okJson(c, installationJson(inst, ctx.publicUrl(c))) : notFound(c, DOC_APPS);
    });
  }

  app.get('/app', (c) => {
    const who = requireApp(c, c.get('identity'));
    if (who instanceof Response) return who;
    return okJson(c, { id: who.id, slug: who.slug, client_id: who.clientId, node_id: Buffer.from(`A_${who.id}`).toString('base64'), name: who.slug, owner: ownerJson('acme', ownerIdOf('acme'), ctx.publicUrl(c)), description: '', external_url: ctx.publicUrl(c), html_url: `${ctx.publicUrl(c)}/apps/${who.slug}`, created_at: iso(0), updated_at: iso(0), permissions: {}, events: ['workflow_job'] });
  });

  app.post('/app/installations/:installationId{[0-9]+}/access_tokens', async (c) => {
    const who = requireApp(c, c.get('identity'));
    if (who instanceof Response) return who;
    const inst = state.installations.get(Number(c.req.param('installationId')));
    if (!inst || inst.appId !== who.id) return notFound(c, DOC_APPS);
    const body = (await c.req.json().catch(() => ({}))) as { permissions?: Record<string, string> };
    let permissions = inst.permissions;
    if (body.permissions) {
      for (const [k, v] of Object.entries(body.permissions)) {
        const granted = inst.permissions[k];
        if (!granted || (v === 'write' && granted === 'read')) {
          return validationFailed(c, `The permissions requested are not granted to this installation.`, DOC_APPS);
        }
      }
      permissions = body.permissions;
    }
    // GitHub is moving to longer `ghs_` tokens; clients must not assume 40 characters.
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x')}`;
    const expiresAt = state.clock.now() + 3_600_000;
    state.tokens.set(token, { token, kind: 'installation', login: `${who.slug}[bot]`, installationId: inst.id, expiresAt, permissions });
    return okJson(c, { token, expires_at: iso(expiresAt), permissions, repository_selection: 'all' }, 201);
  });

  app.get('/installation/repositories', (c) => {
    const who = c.get('identity');
    if (who.kind !== 'installation') return githubError(c, who.kind === 'anonymous' ? 401 : 403, who.kind === 'anonymous' ? 'Requires authentication' : 'You must authenticate with an installation access token in order to list repositories for an installation.', DOC_APPS);
    const inst = state.installations.get(who.installationId);
    const base = ctx.publicUrl(c);
    const all = [...state.repos.entries()].filter(([full]) => full.split('/')[0]?.toLowerCase() === inst?.account.toLowerCase());
    const page = paginate(c, all, base);
    if (page instanceof Response) return page;
    return okJson(c, { total_count: all.length, repository_selection: 'all', repositories: page.map(([full, id]) => fullRepositoryJson(full, id, ownerIdOf(full.split('/')[0] ?? ''), base)) });
  });

  // Deliveries: the app's hook (JWT) and org/repo hooks (token).
  const appHook = (c: Context<Env>): number | Response => {
    const who = requireApp(c, c.get('identity'));
    if (who instanceof Response) return who;
    const hook = [...state.hooks.values()].find((h) => h.targetType === 'integration' && h.appId === who.id);
    return hook ? hook.id : notFound(c, DOC_HOOKS);
  };
  const ownedHook = (c: Context<Env>): number | Response => {
    const owner = c.req.param('org') ?? c.req.param('owner') ?? '';
    const denied = authorize(c, state, c.get('identity'), owner, c.req.param('repo') === undefined ? 'organization_hooks' : 'repository_hooks', 'read');
    if (denied) return denied;
    const hook = state.hooks.get(Number(c.req.param('hookId')));
    const target = c.req.param('repo') === undefined ? owner : `${owner}/${c.req.param('repo')}`;
    return hook && hook.target === target ? hook.id : notFound(c, DOC_HOOKS);
  };
  const hookRoutes: Array<[string, (c: Context<Env>) => number | Response]> = [
    ['/app/hook', appHook],
    ['/orgs/:org/hooks/:hookId{[0-9]+}', ownedHook],
    ['/repos/:owner/:repo/hooks/:hookId{[0-9]+}', ownedHook],
  ];
  for (const [prefix, resolve] of hookRoutes) {
    app.get(`${prefix}/deliveries`, (c) => {
      const hookId = resolve(c);
      if (hookId instanceof Response) return hookId;
      const all = ctx.webhooks.deliveries(hookId).slice().reverse();
      const page = paginate(c, all, ctx.publicUrl(c));
      if (page instanceof Response) return page;
      return okJson(c, page.map((d) => deliveryJson(d)));
    });
    app.get(`${prefix}/deliveries/:deliveryId{[0-9]+}`, (c) => {
      const hookId = resolve(c);
      if (hookId instanceof Response) return hookId;
      const d = ctx.webhooks.deliveries(hookId).find((x) => x.id === Number(c.req.param('deliveryId')));
      return d ? okJson(c, deliveryJson(d, true)) : notFound(c, DOC_HOOKS);
    });
    app.post(`${prefix}/deliveries/:deliveryId{[0-9]+}/attempts`, (c) => {
      const hookId = resolve(c);
      if (hookId instanceof Response) return hookId;
      const d = ctx.webhooks.deliveries(hookId).find((x) => x.id === Number(c.req.param('deliveryId')));
      if (!d) return notFound(c, DOC_HOOKS);
      void ctx.webhooks.redeliver(d.id).catch(() => undefined);
      return okJson(c, {}, 202);
    });
  }

  app.get('/rate_limit', (c) => {
    const who = c.get('identity');
    const u = ctx.limiter.usage(who.key);
    const core = { limit: u.limit, used: u.used, remaining: u.remaining, reset: u.reset };
    return okJson(c, { resources: { core, search: { limit: 30, used: 0, remaining: 30, reset: u.reset }, actions_runner_registration: { limit: 10000, used: 0, remaining: 10000, reset: u.reset } }, rate: core });
  });

  return app;
}
