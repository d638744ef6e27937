import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../dispatcher/src/config';

const base = {
  github: { auth: { token: 't' }, repo: 'acme/app' },
  pools: [{ name: 'macos', labels: ['macOS'], image: 'img', hosts: [{ url: 'https://mini-1:8420', secret: 'x'.repeat(32) }] }],
};

describe('demand config', () => {
  it('defaults to a 10,000-entry cap and no explicit file', () => {
    expect(parseConfig(base).demand).toEqual({ maxEntries: 10_000 });
  });

  it('accepts an absolute SQLite path and refuses anything else, naming the field', () => {
    expect(parseConfig({ ...base, demand: { sqlitePath: '/var/lib/tartfleet/pending-demand.sqlite', maxEntries: 50 } }).demand).toEqual({ sqlitePath: '/var/lib/tartfleet/pending-demand.sqlite', maxEntries: 50 });
    for (const bad of ['state/pending.sqlite', ':memory:', '/var/lib/tartfleet/', '']) {
      expect(() => parseConfig({ ...base, demand: { sqlitePath: bad } })).toThrow(/demand\.sqlitePath: demand\.sqlitePath must be an absolute file path/);
    }
    expect(() => parseConfig({ ...base, demand: { maxEntries: 0 } })).toThrow(/demand\.maxEntries/);
    expect(() => parseConfig({ ...base, demand: { other: 1 } })).toThrow(/demand/);
  });
});
