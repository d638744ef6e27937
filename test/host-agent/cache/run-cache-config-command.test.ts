/**
 * `tartfleet-agent cache-config [--config FILE]`, driven through its injected io.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderNginxConfig } from '../../../host-agent/src/cache/render-nginx-config';
import { runCacheConfigCommand, type CacheConfigCommandIo } from '../../../host-agent/src/cache/run-cache-config-command';

function io(files: Record<string, string> = {}): CacheConfigCommandIo & { out: string; err: string } {
  const state = {
    out: '',
    err: '',
    readFile: async (p: string): Promise<string> => {
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
      return text;
    },
    stdout: (t: string): void => {
      state.out += t;
    },
    stderr: (t: string): void => {
      state.err += t;
    },
  };
  return state;
}

describe('runCacheConfigCommand', () => {
  it('prints the default mirror set without a config, identical to the checked-in deploy file', async () => {
    const t = io();
    expect(await runCacheConfigCommand([], t)).toBe(0);
    expect(t.out).toBe(await readFile(new URL('../../../deploy/nginx/tartfleet-mirror.conf', import.meta.url), 'utf8'));
    expect(t.err).toBe('');
  });

  it('--newsyslog prints the rotation rules of the mirror logs, identical to the checked-in deploy file', async () => {
    const t = io();
    expect(await runCacheConfigCommand(['--newsyslog'], t)).toBe(0);
    expect(t.out).toBe(await readFile(new URL('../../../deploy/newsyslog/tartfleet-mirror.conf', import.meta.url), 'utf8'));
    // The same files nginx writes, rotated at 50 MiB, 5 generations, nginx told (SIGUSR1) through its pid file.
    const nginx = await readFile(new URL('../../../deploy/nginx/tartfleet-mirror.conf', import.meta.url), 'utf8');
    const rules = t.out.split('\n').filter((l) => l.startsWith('/'));
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      const [file, mode, count, sizeKb, when, flags, pidFile, signal] = rule.split('\t');
      expect(nginx).toContain(`${file} `);
      expect(nginx).toContain(`pid ${pidFile};`);
      expect([mode, count, sizeKb, when, flags, signal]).toEqual(['644', '5', '51200', '*', 'Z', '30']);
    }
  });

  it('renders the cache section of a YAML agent config', async () => {
    const yaml = [
      'hostId: mini-01',
      'stateDir: /var/tartfleet',
      'pools: [{ name: macos, image: ghcr.io/acme/macos:15, labels: [macos] }]',
      'cache:',
      '  listen: [{ address: 192.168.64.1, port: 9090 }]',
      '  maxSize: 200g',
      '  prefixes:',
      '    - { name: xcode, url: "https://download.example.com/xcode" }',
    ].join('\n');
    const t = io({ '/etc/tartfleet/agent.yaml': yaml });
    expect(await runCacheConfigCommand(['--config', '/etc/tartfleet/agent.yaml'], t)).toBe(0);
    expect(t.out).toBe(
      renderNginxConfig({ listen: [{ address: '192.168.64.1', port: 9090 }], maxSize: '200g', prefixes: [{ name: 'xcode', url: 'https://download.example.com/xcode' }] }),
    );
    expect(t.out).toContain('listen 192.168.64.1:9090;');
    expect(t.out).toContain('location /xcode/ {');
  });

  it('accepts JSON and the --config=FILE spelling', async () => {
    const t = io({ 'agent.json': JSON.stringify({ cache: { inactive: '14d' } }) });
    expect(await runCacheConfigCommand(['--config=agent.json'], t)).toBe(0);
    expect(t.out).toContain('inactive=14d');
  });

  it('fails with the field and the problem for an invalid cache section', async () => {
    const t = io({ 'agent.yaml': 'cache:\n  listen: [{ address: 0.0.0.0, port: 8480 }]\n  maxSize: lots\n' });
    expect(await runCacheConfigCommand(['--config', 'agent.yaml'], t)).toBe(1);
    expect(t.out).toBe('');
    expect(t.err).toContain('invalid `cache` section in agent.yaml');
    expect(t.err).toContain('listen[0].address');
    expect(t.err).toContain('exposes the unauthenticated mirror on every interface');
    expect(t.err).toContain('maxSize');
  });

  it('says so when the config has no cache section', async () => {
    const t = io({ 'agent.yaml': 'hostId: mini-01\n' });
    expect(await runCacheConfigCommand(['--config', 'agent.yaml'], t)).toBe(1);
    expect(t.err).toContain('agent.yaml has no `cache` section');
  });

  it('names the file it could not read or parse', async () => {
    const missing = io();
    expect(await runCacheConfigCommand(['--config', '/nope.yaml'], missing)).toBe(1);
    expect(missing.err).toContain('cannot read agent config /nope.yaml: ENOENT');
    const broken = io({ 'bad.yaml': 'cache: [unclosed' });
    expect(await runCacheConfigCommand(['--config', 'bad.yaml'], broken)).toBe(1);
    expect(broken.err).toContain('cannot read agent config bad.yaml');
  });

  it('rejects usage errors with 64 and prints help on --help', async () => {
    const noValue = io();
    expect(await runCacheConfigCommand(['--config'], noValue)).toBe(64);
    expect(noValue.err).toContain('cache-config: --config needs a value');
    const stray = io();
    expect(await runCacheConfigCommand(['--listen', '1.2.3.4'], stray)).toBe(64);
    expect(stray.err).toContain("cache-config: unknown option '--listen'; expected one of: --config <value>");
    const help = io();
    expect(await runCacheConfigCommand(['--help'], help)).toBe(0);
    expect(help.out).toMatch(/^usage: tartfleet-agent cache-config \[--config FILE\]/);
  });
});
