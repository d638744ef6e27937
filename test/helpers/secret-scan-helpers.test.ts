import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesContaining } from './files-containing';
import { startArgvSampler } from './proc-scan';
import { waitFor } from './wait-for';

// The secret scans in the lifecycle tests pass by finding nothing; these show they do find things.
describe('secret scan helpers', () => {
  it('the argv sampler catches a short-lived process carrying the needle', async () => {
    const needle = `needle-${process.pid}-${Date.now()}`;
    const sampler = startArgvSampler(needle, 10);
    // Two commands, so bash does not exec `sleep` in its own place (which would drop the needle).
    const child = spawn('/bin/bash', ['-c', 'sleep 0.3; true', needle]);
    await new Promise((resolve) => child.once('exit', resolve));
    await waitFor('a few samples', () => true, 100);
    const scan = sampler.stop();
    expect(scan.hits).toContain(child.pid);
  });

  it('the file scan finds the needle in nested files', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tf-scan-'));
    try {
      mkdirSync(path.join(root, 'a/b'), { recursive: true });
      writeFileSync(path.join(root, 'a/b/x.json'), '{"k":"..needle-xyz.."}');
      writeFileSync(path.join(root, 'a/clean.txt'), 'nothing');
      expect(filesContaining(root, 'needle-xyz')).toEqual([path.join(root, 'a/b/x.json')]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
