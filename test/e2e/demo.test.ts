/** `npm run demo` as a user runs it (smaller burst): exit 0, every job done, nothing leaked. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProc, type Proc } from '../../demo/src/proc';

const root = path.resolve(__dirname, '../..');
let demo: Proc | undefined;
afterEach(async () => {
  await demo?.stop(30_000);
});

describe('npm run demo', () => {
  it('runs a burst on three simulated hosts and ends with a clean summary and exit 0', async () => {
    // The `demo` script of package.json, run directly so a failing test can stop every process.
    const [bin, ...args] = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { demo: string } }).scripts.demo.split(' ');
    expect(bin).toBe('node');
    demo = startProc(process.execPath, args, {
      cwd: root,
      env: { ...process.env, TARTFLEET_DEMO_JOBS: '8', TARTFLEET_DEMO_BOOT_MS: '1000' },
    });
    const code = await demo.exited;
    const out = demo.lines.join('\n');
    expect(code, out).toBe(0);
    expect(out).toMatch(/\| jobs +\| 8 \(8 completed\) in 4 workflows; 1 foreign job left alone/);
    expect(out).toMatch(/\| VMs \(runners\) used +\| 8 for 8 jobs \(one per job\)/);
    expect(out).toMatch(/\| VMs leaked +\| 0 /);
    expect(out).toMatch(/\| runners leaked +\| 0 /);
    expect(out).toMatch(/\| processes leaked +\| 0 /);
    expect(out).toMatch(/\| job start latency p50 +\| \d+\.\d s/);
    expect(out).toContain('demo OK');
  }, 180_000);
});
