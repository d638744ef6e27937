/**
 * The generator: the checked-in default is its output, real `nginx -t` accepts what it writes, and
 * the config refuses what would make the mirror unsafe or the file unparseable.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheConfigSchema } from '../../../host-agent/src/cache/cache-config-schema';
import { renderNginxConfig } from '../../../host-agent/src/cache/render-nginx-config';
import { makeTempDir, nginxTest, removeDir, testPaths } from './helpers/nginx-harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEPLOYED = path.join(root, 'deploy/nginx/tartfleet-mirror.conf');

/** The location blocks of a rendered config, as text. */
function locations(conf: string): string[] {
  return conf.split(/\n(?= {8}location )/).slice(1);
}

describe('renderNginxConfig', () => {
  let dir: string;
  /** A CA file for `proxy_ssl_trusted_certificate`: nginx -t loads it. */
  let caFile: string;
  beforeAll(() => {
    dir = makeTempDir('tf-nginx-t-');
    caFile = path.join(dir, 'ca.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=tartfleet test CA', '-keyout', path.join(dir, 'ca.key'), '-out', caFile], {
      stdio: 'ignore',
      timeout: 30_000,
    });
  });
  afterAll(() => removeDir(dir));

  it('is what deploy/nginx/tartfleet-mirror.conf holds (regenerate: npx vitest run test/host-agent/cache/render-nginx-config.test.ts -u)', async () => {
    await expect(renderNginxConfig()).toMatchFileSnapshot(DEPLOYED);
  });

  it('writes a config that nginx -t accepts, for the default mirror set', () => {
    const conf = path.join(dir, 'default.conf');
    writeFileSync(conf, renderNginxConfig({ ...testPaths(dir, '127.0.0.1', 18480), tls: { trustedCertificate: caFile } }));
    const result = nginxTest(conf, dir);
    expect(result.output).toContain('syntax is ok');
    expect(result.ok).toBe(true);
  });

  it('writes a config that nginx -t accepts with every option in use', () => {
    const conf = path.join(dir, 'full.conf');
    writeFileSync(
      conf,
      renderNginxConfig({
        ...testPaths(dir, '127.0.0.1', 18481),
        listen: [
          { address: '127.0.0.1', port: 18481 },
          { address: '::1', port: 18481 },
        ],
        clients: ['127.0.0.0/8', '::1', '10.0.0.0/8'],
        workerProcesses: 2,
        maxSize: '2g',
        minFree: '512m',
        inactive: '7d',
        keysZoneMb: 8,
        freshness: { metadata: '90s', immutable: '1y' },
        lock: { timeout: '30s', age: '1m' },
        resolvers: ['127.0.0.53', '::1'],
        tls: { verify: false },
        upstreams: [
          { kind: 'npm', name: 'npm-internal', url: 'https://npm.corp.example/registry/', connect: '10.1.2.3:8443' },
          { kind: 'homebrew-bottles' },
          { kind: 'github-releases', name: 'runner', url: 'https://github.com/actions/runner/releases/download' },
        ],
        prefixes: [
          { name: 'xcode', url: 'https://download.developer.apple.com/Developer_Tools', ttl: '90d' },
          { name: 'artifacts', url: 'http://artifacts.corp.example:8081/repo', immutable: false, followRedirects: false },
        ],
      }),
    );
    const result = nginxTest(conf, dir);
    expect(result.output).toContain('syntax is ok');
    expect(result.ok).toBe(true);
  });

  it('listens only on the VM bridge by default, and allows only the VM network', () => {
    const conf = renderNginxConfig();
    expect(conf.match(/^\s*listen .*$/gm)).toEqual(['        listen 192.168.64.1:8480;']);
    expect(conf).toContain('allow 192.168.64.0/24;\n        deny all;');
    expect(conf).not.toMatch(/0\.0\.0\.0|listen \[::\]|listen \d+;/);
  });

  it('has one location per mirror with caching, stale use, lock, credential bypass and SNI', () => {
    const conf = renderNginxConfig();
    for (const name of ['homebrew', 'homebrew-api', 'npm', 'cocoapods', 'rubygems', 'actions-runner']) {
      expect(conf).toContain(`set $tf_upstream ${name};`);
    }
    expect(conf).toContain('proxy_cache_lock on;');
    expect(conf).toContain('proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;');
    expect(conf).toContain('proxy_cache_background_update on;');
    expect(conf).toContain('add_header X-Cache-Status $upstream_cache_status always;');
    expect(conf).toContain('proxy_ssl_server_name on;');
    expect(conf).toContain('proxy_ssl_verify on;');
    expect(conf).toContain('max_size=50g min_free=20g inactive=30d');
    const proxied = locations(conf).filter((l) => l.includes('proxy_pass'));
    expect(proxied.length).toBeGreaterThanOrEqual(10);
    for (const block of proxied) {
      expect(block).toMatch(/proxy_cache_bypass \$tf_(ghcr_)?credentials;/);
      expect(block).toMatch(/proxy_no_cache \$tf_(ghcr_)?credentials \$upstream_http_set_cookie;/);
      expect(block).not.toMatch(/proxy_ignore_headers[^;]*Set-Cookie/);
    }
    expect(conf).toContain('proxy_pass https://ghcr.io$tf_rest;');
    expect(conf).toContain('proxy_pass https://formulae.brew.sh/api$tf_rest;');
    expect(conf).toContain('proxy_pass https://registry.npmjs.org$tf_rest;');
    expect(conf).toContain('proxy_pass https://cdn.cocoapods.org$tf_rest;');
    expect(conf).toContain('proxy_pass https://rubygems.org$tf_rest;');
    expect(conf).toContain('proxy_pass https://github.com/actions/runner/releases/download$tf_rest;');
  });

  it('keeps npm metadata short and tarballs long', () => {
    const conf = renderNginxConfig({ freshness: { metadata: '2m', immutable: '60d' } });
    const npm = locations(conf).filter((l) => l.includes('set $tf_upstream npm;'));
    const tarball = npm.find((l) => l.includes('.tgz'));
    const metadata = npm.find((l) => l.startsWith('        location /npm/ '));
    expect(tarball).toContain('proxy_cache_valid 200 60d;');
    expect(metadata).toContain('proxy_cache_valid 200 2m;');
    expect(metadata).toContain('proxy_cache_revalidate on;');
    expect(metadata).toContain('proxy_cache_key $request_uri|$tf_npm_variant;');
  });

  it('refuses a wildcard listen address unless allowed, and then wants the clients spelled out', () => {
    const result = cacheConfigSchema.safeParse({ listen: [{ address: '0.0.0.0', port: 8480 }], clients: ['192.168.64.0/24'] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/0\.0\.0\.0 exposes the unauthenticated mirror on every interface/)]);
    const noClients = cacheConfigSchema.safeParse({ listen: [{ address: '0.0.0.0', port: 8480 }], allowWildcardListen: true });
    expect(noClients.error?.issues.map((i) => i.message)).toEqual(['clients must be set when listening on 0.0.0.0: no VM network can be derived from that address']);
    const conf = renderNginxConfig({ listen: [{ address: '0.0.0.0', port: 8480 }], allowWildcardListen: true, clients: ['192.168.64.0/24'] });
    expect(conf).toContain('listen 0.0.0.0:8480;');
    expect(conf).toContain('allow 192.168.64.0/24;\n        deny all;');
  });

  it('allows the /24 behind each listen address when clients are not given', () => {
    const conf = renderNginxConfig({ listen: [{ address: '192.168.64.1', port: 8480 }, { address: '10.7.0.1', port: 8480 }] });
    expect(conf).toContain('allow 192.168.64.0/24;\n        allow 10.7.0.0/24;\n        deny all;');
  });

  it('refuses values that would change the meaning of the config file, naming them', () => {
    const problems = (input: unknown): string =>
      cacheConfigSchema
        .safeParse(input)
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('\n') ?? '';
    expect(problems({ cacheDir: '/var/cache/x; include /etc/passwd' })).toMatch(/^cacheDir: paths must be absolute/);
    expect(problems({ prefixes: [{ name: 'x', url: 'https://user:pw@example.com/' }] })).toMatch(/credentials do not belong in the URL/);
    expect(problems({ prefixes: [{ name: 'x', url: 'https://example.com/a?b=c' }] })).toMatch(/query and fragment are not allowed/);
    expect(problems({ prefixes: [{ name: 'x', url: 'ftp://example.com/' }] })).toMatch(/scheme must be https or http, got 'ftp:'/);
    expect(problems({ prefixes: [{ name: 'Bad Name', url: 'https://example.com/' }] })).toMatch(/^prefixes\.0\.name: mirror names/);
    expect(problems({ prefixes: [{ name: 'npm', url: 'https://example.com/' }] })).toMatch(/mirror name 'npm' is used by both upstreams\[2\] \(npm\) and prefixes\[0\]/);
    expect(problems({ maxSize: '50 GB' })).toMatch(/^maxSize: sizes are nginx sizes/);
    expect(problems({ clients: ['192.168.64.0/33'] })).toMatch(/^clients\.0: must be an address or CIDR/);
  });

  it('quotes regex locations so nginx reads braces in them as part of the pattern', () => {
    expect(renderNginxConfig()).toContain('location ~ "^/homebrew/v2/.+/blobs/sha256:[0-9a-f]{64}$" {');
  });

  it('has an nginx -t clean checked-in default once its host paths point somewhere that exists', () => {
    const text = readFileSync(DEPLOYED, 'utf8')
      .replaceAll('/opt/homebrew/var', dir)
      .replaceAll('/etc/ssl/cert.pem', caFile)
      .replace('listen 192.168.64.1:8480;', 'listen 127.0.0.1:18482;');
    const conf = path.join(dir, 'deployed.conf');
    // What `brew install nginx` leaves in /opt/homebrew/var.
    for (const sub of ['log/nginx', 'run', 'cache']) mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o755 });
    writeFileSync(conf, text);
    const result = nginxTest(conf, dir);
    expect(result.output).toContain('test is successful');
  });
});
