import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RUNNER_NAME } from '../../../host-agent/src/api/contract';
import { formatVmName, parseVmName } from '../../../host-agent/src/tart/vm-name';

describe('vm-name', () => {
  it('round-trips pool and id, including pools with dashes', () => {
    expect(formatVmName('mac-m2', 'a1b2')).toBe('tf-mac-m2-a1b2');
    expect(parseVmName('tf-mac-m2-a1b2')).toEqual({ pool: 'mac-m2', id: 'a1b2' });
    const pool = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/);
    const id = fc.stringMatching(/^[a-z0-9]{1,40}$/);
    fc.assert(
      fc.property(pool, id, (p, i) => {
        const name = formatVmName(p, i);
        expect(RUNNER_NAME.test(name)).toBe(true);
        expect(parseVmName(name)).toEqual({ pool: p, id: i });
      }),
    );
  });

  it('refuses names the agent did not make', () => {
    for (const name of ['tahoe-base', 'tf-', 'tf-mac', 'tf-mac-', 'TF-mac-1', 'tf-mac-1/../x', 'ghcr.io/cirruslabs/macos:latest', 'tf-mac-a b', 'xtf-mac-1', 'tf-mac-ab-']) {
      expect(parseVmName(name), name).toBeUndefined();
    }
  });

  it('throws on parts that would not parse back, naming them', () => {
    expect(() => formatVmName('Mac', '1')).toThrow(/got pool 'Mac' and id '1'/);
    expect(() => formatVmName('mac', 'a-b')).toThrow(/id 'a-b'/);
  });
});
