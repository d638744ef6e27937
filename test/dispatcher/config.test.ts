import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from '../../dispatcher/src/config';

const secret = 's'.repeat(40);
const valid = {
  github: { apiUrl: 'http://127.0.0.1:9000', auth: { token: 'env:GH_TOKEN' }, org: 'acme', repos: ['acme/app'] },
  webhook: { secrets: ['env:WEBHOOK_SECRET'] },
  pools: [{ name: 'macos', labels: ['macOS', 'arm64'], image: 'runner:15', hosts: [{ url: 'http://127.0.0.1:8420', secret }] }],
};

describe('parseConfig', () => {
  it('resolves env: references and applies defaults', () => {
    const c = parseConfig(valid, { GH_TOKEN: 'ghp_x', WEBHOOK_SECRET: 'whsec' });
    expect(c.github.auth).toEqual({ token: 'ghp_x' });
    expect(c.webhook?.secrets).toEqual(['whsec']);
    expect(c.reconcile.intervalMs).toBe(30_000);
    expect(c.placement.timeoutMs).toBe(1_000);
    expect(c.github.writesPerMinute).toBeLessThan(180);
    expect(Object.isFrozen(c.pools[0])).toBe(true);
  });

  it('reports every problem at once, naming the field', () => {
    const bad = {
      github: { auth: { token: 'env:MISSING' } },
      pools: [
        { name: 'Bad Name', labels: [], image: 'x', hosts: [{ url: 'ftp://x', secret: 'short' }] },
        { name: 'Bad Name', labels: ['a'], image: 'x', hosts: [] },
      ],
    };
    let message = '';
    try {
      parseConfig(bad, {});
    } catch (error: unknown) {
      message = (error as Error).message;
    }
    expect(message).toContain('environment variable MISSING is not set');
    expect(message).toContain('pools.0.name');
    expect(message).toContain('pools.0.labels');
    expect(message).toContain('pools.0.hosts.0.url');
    expect(message).toContain('pools.0.hosts.0.secret');
    expect(message).toContain('pools.1.hosts');
    expect(message).toContain('exactly one of github.org or github.repo');
  });

  it('rejects an org with token auth and no repos list', () => {
    expect(() => parseConfig({ ...valid, github: { auth: { token: 't' }, org: 'acme' } }, { WEBHOOK_SECRET: 'w' })).toThrow(/github.repos is required/);
  });

  it('redacts secrets for logging', () => {
    const c = parseConfig(valid, { GH_TOKEN: 'ghp_x', WEBHOOK_SECRET: 'whsec' });
    const text = JSON.stringify(redactConfig(c));
    expect(text).not.toContain('ghp_x');
    expect(text).not.toContain('whsec');
    expect(text).not.toContain(secret);
    expect(text).toContain('acme');
  });
});
