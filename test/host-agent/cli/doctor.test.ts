import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../host-agent/src/cli/run-cli';
import { cliDeps } from '../../helpers/cli-helpers';
import { writeMacShims } from '../../fakes/mac-shims';
import { simHostKeyFingerprint } from '../../helpers/sim-env';
import { killGroup } from '../../helpers/kill-group';

const exec = promisify(execFile);
const TART = path.resolve(__dirname, '../../sim/bin/tart');

type Check = { name: string; status: string; detail: string; fix?: string };

describe('doctor against the tart simulator', () => {
  let home: string;
  let dir: string;
  const runs: ChildProcess[] = [];
  const simEnv = () => ({ ...process.env, TART_HOME: home, TART_SIM_BOOT_MS: '300' });
  const tart = (...args: string[]) => exec(TART, args, { env: simEnv(), timeout: 60_000 });

  function writeConfig(name: string, yaml: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, yaml);
    return file;
  }
  /** The base image's real host key: doctor's SSH check pins it as the agent does. */
  const ssh = (settings = '') => `ssh: { ${settings}hostKeyFingerprint: "${simHostKeyFingerprint(home, 'tahoe-base')}" }\n`;
  const baseConfig = (extra = ssh()) => `hostId: doctor-test\nstateDir: ${dir}/state\npools:\n  - name: macos\n    image: tahoe-base\n    labels: [macos]\n${extra}`;

  async function doctor(configFile: string, env: Record<string, string> = {}, json = true) {
    // A Mac in good order (test/host-agent/cli/doctor-host.test.ts fails each of these checks).
    const run = cliDeps({ TART_BIN: TART, TART_HOME: home, PATH: `${writeMacShims(path.join(dir, 'mac'))}:/usr/bin:/bin`, ...env });
    const code = await runCli(['doctor', '--config', configFile, ...(json ? ['--json'] : [])], run.deps);
    return { code, out: run.stdout(), checks: json ? (JSON.parse(run.stdout()) as { ok: boolean; checks: Check[] }).checks : [] };
  }
  const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name);

  async function startVm(name: string): Promise<void> {
    await tart('clone', 'tahoe-base', name);
    const child = spawn(TART, ['run', '--no-graphics', name], { env: simEnv(), stdio: 'ignore', detached: true });
    runs.push(child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { stdout } = await tart('list', '--format', 'json');
      const vm = (JSON.parse(stdout) as Array<{ Name: string; State: string }>).find((v) => v.Name === name);
      if (vm?.State === 'running') return;
      if (Date.now() > deadline) throw new Error(`VM ${name} not running within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'tf-doctor-home-'));
    dir = mkdtempSync(path.join(tmpdir(), 'tf-doctor-'));
    await tart('create', 'tahoe-base', '--from-ipsw', 'latest', '--disk-size', '1');
  });

  afterAll(async () => {
    for (const child of runs) killGroup(child);
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails the tart check, skips what needs tart, and exits 1 when tart is missing', async () => {
    const { code, checks } = await doctor(writeConfig('a.yaml', baseConfig()), { TART_BIN: path.join(dir, 'no-such-tart') });
    expect(code).toBe(1);
    expect(byName(checks, 'tart')).toMatchObject({ status: 'fail', detail: expect.stringContaining('tart not found at') });
    expect(byName(checks, 'images')?.status).toBe('skip');
    expect(byName(checks, 'ssh')?.status).toBe('skip');
  });

  it('passes with the base image present and no VM running (SSH skipped, secret missing is a warning)', async () => {
    const { code, checks } = await doctor(writeConfig('b.yaml', baseConfig()));
    expect(checks.map((c) => `${c.name}:${c.status}`)).toEqual(['config:warn', 'macos:ok', 'dhcp-lease:ok', 'auto-login:ok', 'sleep:ok', 'softnet:ok', 'host-firewall:ok', 'tart:ok', 'disk:ok', 'images:ok', 'slots:ok', 'ssh:skip', 'local-network:skip', 'runner-age:skip', 'clock:skip']);
    expect(byName(checks, 'tart')?.detail).toContain('tart 2.32.1');
    expect(byName(checks, 'disk')?.detail).toMatch(/GB free under .*largest base image 1 GB; 2 slot\(s\) may grow to 2 GB/);
    expect(byName(checks, 'ssh')?.detail).toContain('no VM is running');
    expect(byName(checks, 'clock')?.fix).toBe('tartfleet-agent doctor --dispatcher https://<your dispatcher>');
    expect(code).toBe(0);
  });

  it('fails when a pool image is missing, and warns for an OCI image not pulled yet', async () => {
    const local = await doctor(writeConfig('c.yaml', baseConfig().replace('image: tahoe-base', 'image: sonoma-base')));
    expect(local.code).toBe(1);
    expect(byName(local.checks, 'images')).toMatchObject({ status: 'fail', detail: 'local base image missing (tart clone will fail): macos: sonoma-base' });
    const oci = await doctor(writeConfig('d.yaml', baseConfig().replace('image: tahoe-base', 'image: ghcr.io/acme/tahoe:1')));
    expect(oci.code).toBe(0);
    expect(byName(oci.checks, 'images')?.status).toBe('warn');
  });

  it('reaches a running VM over SSH, flags too many VMs for the slots, and fails on wrong credentials', async () => {
    await startVm('tf-macos-doctor1');
    await startVm('someone-elses-vm');
    const ok = await doctor(writeConfig('e.yaml', baseConfig(ssh('password: admin, '))), { TARTFLEET_AGENT_SECRET: 'x'.repeat(40), TARTFLEET_AGENT_ADMIN_SECRET: 'y'.repeat(40) });
    expect(byName(ok.checks, 'config')?.status).toBe('ok');
    const noAdmin = await doctor(writeConfig('e2.yaml', baseConfig()), { TARTFLEET_AGENT_SECRET: 'x'.repeat(40) });
    expect(byName(noAdmin.checks, 'config')).toMatchObject({ status: 'warn', detail: expect.stringContaining('TARTFLEET_AGENT_ADMIN_SECRET is not set; images, pools, drain and resume will refuse every request') });
    expect(byName(ok.checks, 'ssh')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^admin@tf-macos-doctor1:22 \(127\.\d+\.\d+\.\d+\): connected, host key SHA256:/) });
    expect(byName(ok.checks, 'slots')).toMatchObject({ status: 'warn', detail: expect.stringContaining('2 VM(s) running (1 managed by tartfleet) for 2 slot(s)') });
    expect(ok.code).toBe(0);

    const tight = await doctor(writeConfig('f.yaml', baseConfig(`maxVms: 1\n${ssh('password: wrong, ')}`)));
    expect(byName(tight.checks, 'slots')?.status).toBe('fail');
    expect(byName(tight.checks, 'ssh')?.status).toBe('fail');
    expect(byName(tight.checks, 'ssh')?.detail).not.toContain('wrong');
    expect(tight.code).toBe(1);

    const table = await doctor(writeConfig('g.yaml', baseConfig(`maxVms: 1\n${ssh()}`)), {}, false);
    expect(table.out).toMatch(/^CHECK\s+STATUS\s+DETAIL\n/);
    expect(table.out).toMatch(/\nslots\s+FAIL\s+2 VM\(s\) running/);
    expect(table.out).toContain('check(s) failed');
  }, 120_000);

  it('warns (never fails) when the configured host mirror does not answer', async () => {
    // A port that was just free: connection refused.
    const port = await new Promise<number>((resolve) => {
      const srv = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const { checks } = await doctor(writeConfig('m.yaml', baseConfig(`${ssh()}cache:\n  listen:\n    - address: 127.0.0.1\n      port: ${port}\n`)));
    const mirror = byName(checks, 'mirror');
    expect(mirror?.status).toBe('warn');
    expect(mirror?.detail).toContain(`http://127.0.0.1:${port}/`);
    expect(mirror?.detail).toContain('ECONNREFUSED');
    expect(byName(checks, 'config')?.status).not.toBe('fail');
  });
});
