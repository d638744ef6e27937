/**
 * deploy/lambda/template.yaml (AWS SAM): cfn-lint accepts it (and rejects a broken copy, so the lint
 * is real); the Function URL and the EventBridge schedule are there; the function built with the
 * template's own esbuild properties exports the named handler, which answers a Function URL request
 * and runs a reconcile pass on a scheduled event against the fake GitHub.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml, type ScalarTag } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type RunningFakeGitHub } from '../fake-github/src';
import { startStubAgentServer } from '../fakes/stub-agent-server';
import { repoRoot } from '../helpers/sim-env';
import { waitFor } from '../helpers/wait-for';
import { CFN_LINT_HINT, findCfnLint } from './cfn-lint';

const run = promisify(execFile);
const templateFile = path.join(repoRoot, 'deploy/lambda/template.yaml');
// CloudFormation's short-form intrinsics, kept as `{ '!Ref': value }` so the structure can be read.
const cfnTags: ScalarTag[] = ['!Ref', '!Sub', '!GetAtt'].map((tag) => ({ tag, resolve: (value: string) => ({ [tag]: value }) }) as unknown as ScalarTag);

interface Fn {
  Properties: {
    Handler: string;
    Runtime: string;
    Environment: { Variables: Record<string, unknown> };
    FunctionUrlConfig: { AuthType: string };
    Events: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  Metadata: { BuildMethod: string; BuildProperties: { EntryPoints: string[]; Format: string; OutExtension: string[]; Target: string; Banner: string[] } };
}
let text: string;
let fn: Fn;
let out: string;

beforeAll(async () => {
  text = await readFile(templateFile, 'utf8');
  const doc = parseYaml(text, { customTags: cfnTags }) as { Resources: Record<string, Fn & { Type: string }> };
  fn = Object.values(doc.Resources).find((r) => r.Type === 'AWS::Serverless::Function')!;
  out = await mkdtemp(path.join(tmpdir(), 'tf-sam-'));
});
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('deploy/lambda/template.yaml', () => {
  it('passes cfn-lint, which rejects a broken copy', async () => {
    const cfnLint = findCfnLint();
    if (cfnLint === undefined) throw new Error(CFN_LINT_HINT);
    const ok = await run(cfnLint, ['--format', 'json', templateFile]).then(() => 0, (e: { code: number; stdout: string }) => e);
    expect(ok).toBe(0);
    const broken = path.join(out, 'broken.yaml');
    await writeFile(broken, text.replace('Type: Schedule\n', 'Type: Schedulee\n'));
    const failed = await run(cfnLint, ['--format', 'json', broken]).then(() => undefined, (e: { stdout: string }) => e.stdout);
    expect(failed).toContain('Schedulee');
  });

  it('gives webhooks a Function URL without AWS auth and reconciles on a schedule', () => {
    expect(fn.Properties.FunctionUrlConfig.AuthType).toBe('NONE');
    expect(Object.values(fn.Properties.Events).map((e) => e.Type)).toEqual(['Schedule']);
    // Secrets come from Secrets Manager by reference, never as template text.
    for (const [name, value] of Object.entries(fn.Properties.Environment.Variables)) {
      if (name !== 'TARTFLEET_CONFIG') expect(JSON.stringify(value)).toContain('{{resolve:secretsmanager:');
    }
  });

  it('names every secret the shared example config refers to', async () => {
    const toml = parseToml(await readFile(path.join(repoRoot, 'deploy/workers/wrangler.toml'), 'utf8')) as { vars: { TARTFLEET_CONFIG: string } };
    const refs = [...toml.vars.TARTFLEET_CONFIG.matchAll(/"env:([A-Z0-9_]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(refs));
  });

  describe('the function as SAM builds it', () => {
    let gh: RunningFakeGitHub;
    let agent: Awaited<ReturnType<typeof startStubAgentServer>>;
    const saved = { ...process.env };
    beforeAll(async () => {
      const props = fn.Metadata.BuildProperties;
      expect(fn.Metadata.BuildMethod).toBe('esbuild');
      const [from, to] = props.OutExtension[0]!.split('=');
      const [bannerKind, ...banner] = props.Banner[0]!.split('=');
      await build({
        entryPoints: props.EntryPoints.map((e) => path.join(repoRoot, e)),
        outdir: out,
        bundle: true,
        platform: 'node',
        format: props.Format as 'esm',
        target: props.Target,
        outExtension: { [from!]: to! },
        banner: { [bannerKind!]: banner.join('=') },
        logLevel: 'error',
      });
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
      gh = await startFakeGitHub({ jitKeyBits: 1024, apps: [{ id: 123456, key, installations: [{ id: 7654321, account: 'acme' }] }] });
      agent = await startStubAgentServer({ secret: 'agent-secret-0123456789abcdef0123456789', slots: 2 });
      const config = {
        github: { apiUrl: gh.url, auth: { appId: 123456, installationId: 7654321, privateKey: 'env:GH_APP_KEY' }, org: 'acme', repos: ['acme/app'] },
        webhook: { secrets: ['env:WEBHOOK_SECRET'] },
        pools: [{ name: 'macos', labels: ['macOS'], image: 'img', hosts: [{ url: agent.url, secret: 'env:AGENT_SECRET_1' }] }],
      };
      Object.assign(process.env, { TARTFLEET_CONFIG: JSON.stringify(config), GH_APP_KEY: key, WEBHOOK_SECRET: 'w', AGENT_SECRET_1: 'agent-secret-0123456789abcdef0123456789' });
    }, 60_000);
    afterAll(async () => {
      process.env = saved;
      await agent?.close();
      await gh?.close();
    });

    it('answers GET /healthz through the Function URL and reconciles on a scheduled event', async () => {
      const [file, exportName] = fn.Properties.Handler.split('.') as [string, string];
      const mod = (await import(pathToFileURL(path.join(out, `${file}.mjs`)).href)) as Record<string, (event: unknown, context: unknown) => Promise<unknown>>;
      const handler = mod[exportName]!;
      expect(handler).toBeTypeOf('function');
      const domain = 'abcdefg.lambda-url.eu-west-1.on.aws';
      const health = (await handler({ version: '2.0', routeKey: '$default', rawPath: '/healthz', rawQueryString: '', headers: { host: domain }, requestContext: { domainName: domain, http: { method: 'GET', path: '/healthz', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'curl' }, requestId: 'r', routeKey: '$default', stage: '$default', timeEpoch: Date.now() }, isBase64Encoded: false }, {})) as { statusCode: number };
      expect(health.statusCode).toBe(200);
      gh.enqueueRun({ jobs: [{ name: 'a', labels: ['macOS'] }] });
      const report = (await handler({ version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), detail: {} }, {})) as { reconciled: boolean };
      expect(report.reconciled).toBe(true);
      await waitFor('runner placed by the scheduled pass', () => agent.started.length === 1, 20_000);
    });
  });
});
