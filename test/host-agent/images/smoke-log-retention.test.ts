import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { retainSmokeLog } from '../../../host-agent/src/images/smoke-log-retention';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('failed smoke logs on the host disk', () => {
  it('keeps only the newest N smoke logs, cuts the kept one to its tail, and leaves runner logs alone', async () => {
    const d = (dir = mkdtempSync(path.join(tmpdir(), 'tf-smokelogs-')));
    const now = Date.now() / 1000;
    for (let i = 0; i < 8; i++) {
      const file = path.join(d, `tfsmoke-${i}.log`);
      writeFileSync(file, `log ${i}\n`);
      utimesSync(file, now - 100 + i, now - 100 + i);
    }
    writeFileSync(path.join(d, 'tf-mac-a1.log'), 'a runner VM log\n');
    const latest = path.join(d, 'tfsmoke-9.log');
    writeFileSync(latest, `${'x'.repeat(5_000)}the end: why the VM failed\n`);

    await retainSmokeLog(latest, { prefix: 'tfsmoke-', keep: 3, maxBytes: 1_000 });

    expect(readdirSync(d).sort()).toEqual(['tf-mac-a1.log', 'tfsmoke-6.log', 'tfsmoke-7.log', 'tfsmoke-9.log']);
    expect(statSync(latest).size).toBe(1_000);
    expect(readFileSync(latest, 'utf8')).toMatch(/x+the end: why the VM failed\n$/);
    expect(readFileSync(path.join(d, 'tfsmoke-7.log'), 'utf8')).toBe('log 7\n');
  });
});
