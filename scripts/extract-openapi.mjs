// One-off dev tool: extracts, from GitHub's REST OpenAPI description (@octokit/openapi), the response
// schemas of every endpoint the fake GitHub serves into test/fixtures/github/openapi-responses.json.
// The package is 385 MB unpacked, so it is installed into a temp dir outside the repo, never into
// package.json: `node scripts/extract-openapi.mjs [--package-dir DIR]`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '23.0.2';
const FILE = 'generated/api.github.com.json';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'test/fixtures/github');

/** Every operation the fake serves, as `METHOD path` in OpenAPI form. */
export const SERVED = [
  'post /orgs/{org}/actions/runners/generate-jitconfig',
  'post /repos/{owner}/{repo}/actions/runners/generate-jitconfig',
  'get /orgs/{org}/actions/runners',
  'get /repos/{owner}/{repo}/actions/runners',
  'get /orgs/{org}/actions/runners/{runner_id}',
  'get /repos/{owner}/{repo}/actions/runners/{runner_id}',
  'delete /orgs/{org}/actions/runners/{runner_id}',
  'delete /repos/{owner}/{repo}/actions/runners/{runner_id}',
  'post /orgs/{org}/actions/runners/registration-token',
  'post /repos/{owner}/{repo}/actions/runners/registration-token',
  'post /orgs/{org}/actions/runners/remove-token',
  'post /repos/{owner}/{repo}/actions/runners/remove-token',
  'get /orgs/{org}/actions/runner-groups',
  'get /orgs/{org}/actions/runner-groups/{runner_group_id}/runners',
  'get /repos/{owner}/{repo}/actions/runs',
  'get /repos/{owner}/{repo}/actions/runs/{run_id}',
  'get /repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
  'get /repos/{owner}/{repo}/actions/jobs/{job_id}',
  'get /app',
  'post /app/installations/{installation_id}/access_tokens',
  'get /orgs/{org}/installation',
  'get /repos/{owner}/{repo}/installation',
  'get /installation/repositories',
  'get /app/hook/deliveries',
  'get /app/hook/deliveries/{delivery_id}',
  'post /app/hook/deliveries/{delivery_id}/attempts',
  'get /orgs/{org}/hooks/{hook_id}/deliveries',
  'get /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}',
  'post /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts',
  'get /repos/{owner}/{repo}/hooks/{hook_id}/deliveries',
  'get /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}',
  'post /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts',
  'get /rate_limit',
];

function packageDir() {
  const i = process.argv.indexOf('--package-dir');
  if (i > 0 && process.argv[i + 1]) return process.argv[i + 1];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'octokit-openapi-'));
  execFileSync('npm', ['install', '--prefix', dir, `@octokit/openapi@${VERSION}`, '--no-save', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  return dir;
}

const dir = packageDir();
const pkgRoot = path.join(dir, 'node_modules/@octokit/openapi');
const pkg = JSON.parse(readFileSync(path.join(pkgRoot, 'package.json'), 'utf8'));
if (pkg.version !== VERSION) throw new Error(`expected @octokit/openapi ${VERSION}, found ${pkg.version} in ${pkgRoot}`);
const spec = JSON.parse(readFileSync(path.join(pkgRoot, FILE), 'utf8'));

const components = { schemas: {} };
const pending = [];
const resolvePointer = (ref) => ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);

/** Copies a schema, collecting every components/schemas it references (transitively). */
function collect(node) {
  if (Array.isArray(node)) return node.map(collect);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'example' || k === 'examples') continue;
    if (k === '$ref' && typeof v === 'string') {
      const name = v.replace('#/components/schemas/', '');
      if (!(name in components.schemas)) {
        components.schemas[name] = null;
        pending.push(name);
      }
      out.$ref = `#/components/schemas/${name}`;
      continue;
    }
    out[k] = collect(v);
  }
  return out;
}

const operations = {};
for (const key of SERVED) {
  const [method, route] = key.split(' ');
  const op = spec.paths[route]?.[method];
  if (!op) throw new Error(`operation ${key} is not in ${FILE}`);
  const responses = {};
  for (const [status, raw] of Object.entries(op.responses)) {
    const response = raw.$ref ? resolvePointer(raw.$ref) : raw;
    const schema = response.content?.['application/json']?.schema;
    responses[status] = schema ? collect(schema) : null;
  }
  operations[key] = { operationId: op.operationId, responses };
}
while (pending.length > 0) {
  const name = pending.pop();
  components.schemas[name] = collect(spec.components.schemas[name]);
}

const out = {
  source: { package: '@octokit/openapi', version: VERSION, file: FILE, openapi: spec.openapi, infoVersion: spec.info.version, extractedAt: new Date().toISOString().slice(0, 10) },
  operations,
  components,
};
writeFileSync(path.join(outDir, 'openapi-responses.json'), `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${Object.keys(operations).length} operations, ${Object.keys(components.schemas).length} schemas to ${path.relative(root, outDir)}/openapi-responses.json`);
if (!existsSync(path.join(outDir, 'README.md'))) console.log('remember to update test/fixtures/github/README.md');
