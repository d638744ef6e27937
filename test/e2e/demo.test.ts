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
    // Where to watch it, with the throwaway token it made (none was given).
    expect(out).toMatch(/^status page: http:\/\/127\.0\.0\.1:\d+\/status {2}\(log in with the throwaway token [0-9a-f]{48} /m);
  }, 180_000);

  it('--keep keeps the fleet and its status page up until Ctrl-C, and never prints a token it was given', async () => {
    const token = 'demo-fleet-token-0123456789abcdef';
    demo = startProc(process.execPath, ['scripts/run-ts.mjs', '--needs', 'sim,fake-github,agent,dispatcher', 'demo/src/main.ts', '--', '--keep'], {
      cwd: root,
      env: { ...process.env, TARTFLEET_DEMO_JOBS: '4', TARTFLEET_DEMO_HOSTS: '2', TARTFLEET_DEMO_BOOT_MS: '500', TARTFLEET_FLEET_TOKEN: token },
    });
    const url = (await demo.waitForLine(/^status page: (http:\/\/\S+)\/status +\(log in with the token in \$TARTFLEET_FLEET_TOKEN\)/, 60_000))[1] as string;
    await demo.waitForLine(/^--keep: the fleet stays up/, 120_000);
    // The summary is out and the fleet still answers.
    const res = await fetch(`${url}/status/data`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const view = (await res.json()) as { hosts: { id?: string }[]; recentJobs: unknown[] };
    expect(view.hosts.map((h) => h.id).sort()).toEqual(['mini-1', 'mini-2']);
    expect(view.recentJobs.length).toBeGreaterThanOrEqual(4);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    const out = demo.lines.join('\n');
    expect(out).toContain('demo OK');
    expect(out).not.toContain(token);
  }, 180_000);
});
