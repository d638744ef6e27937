/**
 * `doctor --json`'s checks of the Mac, each forced to fail: the macOS commands are shims on PATH
 * (test/fakes/mac-shims.ts), tart is the simulator, free space and the network are fixtures, the
 * dispatcher is a local server with a skewed Date header. Every warn and fail carries its fix.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../host-agent/src/cli/run-cli';
import { createHostSystem } from '../../../host-agent/src/cli/host-system';
import { simHostKeyFingerprint } from '../../helpers/sim-env';
import { cliDeps } from '../../helpers/cli-helpers';
import { writeMacShims, type MacState } from '../../fakes/mac-shims';
import { killGroup } from '../../helpers/kill-group';

const exec = promisify(execFile);
const TART = path.resolve(__dirname, '../../sim/bin/tart');
type Check = { name: string; status: string; detail: string; fix?: string };

let dir: string;
let home: string;
let config: string;
let dispatcher: Server;
let skewMs = 0;
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tf-doctor-host-'));
  home = path.join(dir, 'tart');
  await exec(TART, ['create', 'base', '--from-ipsw', 'latest', '--disk-size', '1'], { env: { ...process.env, TART_HOME: home } });
  config = path.join(dir, 'agent.yaml');
  writeFileSync(config, `hostId: t\nstateDir: ${dir}/state\npools:\n  - { name: macos, image: base, labels: [macos] }\nssh: { hostKeyFingerprint: "SHA256:Xb6Qg4WH0cOqh3l2jVMJ3fC3w1Z1Nw0lC6e1jv5m6Wk" }\ncache:\n  listen: [{ address: 127.0.0.1, port: 9 }]\n  minFree: 20g\n`);
  dispatcher = createServer((_req, res) => {
    res.setHeader('date', new Date(Date.now() - skewMs).toUTCString());
    res.end();
  });
  await new Promise<void>((r) => dispatcher.listen(0, '127.0.0.1', r));
});
afterAll(() => {
  dispatcher?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function doctor(mac: Partial<MacState> = {}, options: { freeGb?: number; connect?: string } = {}) {
  const shims = writeMacShims(path.join(dir, `shims-${n++}`), mac);
  const url = `http://127.0.0.1:${(dispatcher.address() as { port: number }).port}`;
  const run = cliDeps(
    { TART_BIN: TART, TART_HOME: home, PATH: `${shims}:/usr/bin:/bin`, TARTFLEET_DISPATCHER_URL: url },
    {
      freeBytes: async () => (options.freeGb ?? 500) * 1e9,
      hostSystem: (env, clock) => {
        const real = createHostSystem(env, clock);
        return options.connect === undefined ? real : { ...real, connect: async () => options.connect };
      },
    },
  );
  const code = await runCli(['doctor', '--config', config, '--json'], run.deps);
  const checks = (JSON.parse(run.stdout()) as { checks: Check[] }).checks;
  return { code, check: (name: string) => checks.find((c) => c.name === name), checks };
}

describe('doctor: the Mac itself', () => {
  it('passes every host check on a well-set-up Mac, and fixes are only on what is not ok', async () => {
    const { check, checks } = await doctor();
    expect(checks.map((c) => c.name)).toEqual(['config', 'macos', 'dhcp-lease', 'auto-login', 'sleep', 'softnet', 'host-firewall', 'tart', 'disk', 'images', 'slots', 'ssh', 'local-network', 'runner-age', 'mirror', 'clock']);
    for (const name of ['macos', 'dhcp-lease', 'auto-login', 'sleep', 'softnet', 'host-firewall', 'clock']) expect(check(name)?.status, name).toBe('ok');
    expect(check('macos')?.detail).toBe('macOS 15.1');
    expect(check('softnet')?.detail).toMatch(/softnet is SUID root$/);
    expect(check('slots')?.detail).toContain('2 free');
  });

  it.each([
    ['macos', { macos: '12.7.4' }, 'fail', /macOS 12\.7\.4; tart needs 13 or later/],
    ['dhcp-lease', { lease: null }, 'fail', /exhausts the 253 addresses/],
    ['dhcp-lease', { lease: 7200 }, 'warn', /vmnet DHCP lease 7200 s/],
    ['auto-login', { autoLoginUser: null }, 'warn', /no automatic login/],
    ['sleep', { sleep: 10 }, 'fail', /system sleep after 10 min/],
    ['softnet', { softnet: 'plain' }, 'fail', /is not SUID root \(owner uid 0, mode 755\)/],
  ] as const)('%s: %j gives %s', async (name, mac, status, detail) => {
    const { code, check } = await doctor(mac);
    expect(check(name)).toMatchObject({ status, detail: expect.stringMatching(detail) });
    expect(check(name)?.fix).toBeTruthy();
    expect(code).toBe(status === 'fail' ? 1 : 0);
  });

  it('prints the exact one-line fixes for the DHCP lease and Softnet', async () => {
    expect((await doctor({ lease: null })).check('dhcp-lease')?.fix).toBe('sudo defaults write /Library/Preferences/SystemConfiguration/com.apple.InternetSharing.default.plist bootpd -dict DHCPLeaseTimeSecs -int 600');
    const softnet = (await doctor({ softnet: 'plain' })).check('softnet');
    const file = /^(\S+) is not SUID/.exec(softnet!.detail)![1];
    expect(softnet?.fix).toBe(`sudo chown root ${file} && sudo chmod u+s ${file}`);
  });

  describe('host-firewall: pfctl -s info and pfctl -a tartfleet -s rules', () => {
    const load = `add 'anchor "tartfleet"' and 'load anchor "tartfleet" from "/etc/pf.anchors/tartfleet"' to /etc/pf.conf (tartfleet-agent init writes /etc/pf.anchors/tartfleet), then sudo pfctl -f /etc/pf.conf`;

    it('is ok with pf enabled and the anchor holding the block rule on bridge100', async () => {
      const { code, check } = await doctor();
      expect(check('host-firewall')).toEqual({ name: 'host-firewall', status: 'ok', detail: "pf enabled; anchor tartfleet closes the host's ports to guests on bridge100 except DNS, DHCP and the mirror" });
      expect(code).toBe(0);
    });

    it.each([
      ['pf disabled', { pf: 'disabled' }, 'pf is disabled: guests reach every port this host listens on at the bridge100 address', 'sudo pfctl -E'],
      ['the anchor not loaded', { pfAnchorRules: null }, 'anchor tartfleet is not loaded: guests reach every port this host listens on at the bridge100 address', load],
      ['both', { pf: 'disabled', pfAnchorRules: null }, 'anchor tartfleet is not loaded; pf is disabled: guests reach every port this host listens on at the bridge100 address', `${load}; then sudo pfctl -E`],
      [
        'the anchor without its block rule',
        { pfAnchorRules: 'pass in quick on bridge100 proto udp from any to any port = 67 keep state' },
        "anchor tartfleet is loaded but has no 'block in quick on bridge100 to (bridge100)' rule: guests reach every port this host listens on at the bridge100 address",
        'rerun tartfleet-agent init and install its /etc/pf.anchors/tartfleet, then sudo pfctl -a tartfleet -f /etc/pf.anchors/tartfleet',
      ],
      ['pfctl without root', { pf: 'denied' }, 'pfctl needs root (/dev/pf: permission denied): run doctor with sudo to check the host firewall', 'sudo tartfleet-agent doctor (or by hand: sudo pfctl -s info; sudo pfctl -a tartfleet -s rules)'],
    ] as const)('warns (never fails) with %s, with the fix', async (_what, mac, detail, fix) => {
      const { code, check } = await doctor(mac);
      expect(check('host-firewall')).toEqual({ name: 'host-firewall', status: 'warn', detail, fix });
      expect(code).toBe(0);
    });

    it('checks the configured bridge, and skips when no pool uses Softnet', async () => {
      const original = readFileSync(config, 'utf8');
      try {
        writeFileSync(config, `${original}hostFirewall: { bridgeInterface: bridge101 }\n`);
        expect((await doctor()).check('host-firewall')).toMatchObject({ status: 'warn', detail: expect.stringContaining("no 'block in quick on bridge101 to (bridge101)' rule") });
        writeFileSync(config, original.replace('labels: [macos] }', 'labels: [macos], network: { mode: nat } }'));
        expect((await doctor({ pf: 'disabled' })).check('host-firewall')).toMatchObject({ status: 'skip', detail: expect.stringContaining('no pool uses Softnet') });
      } finally {
        writeFileSync(config, original);
      }
    });
  });

  it('fails the disk check when free space is below one image plus the mirror minFree', async () => {
    // The base image is 1 GB; the mirror keeps 20g (21.5 GB) free.
    const { check } = await doctor({}, { freeGb: 15 });
    expect(check('disk')).toMatchObject({ status: 'fail', detail: expect.stringContaining("+ the mirror's minFree 20g") });
    expect((await doctor({}, { freeGb: 23 })).check('disk')?.status).toBe('warn');
  });

  it('fails the clock check beyond 300 s of skew against the dispatcher, warns beyond 30 s', async () => {
    try {
      skewMs = 400_000;
      expect((await doctor()).check('clock')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^this Mac's clock is 40\d s ahead of the dispatcher's/) });
      skewMs = -60_000;
      expect((await doctor()).check('clock')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^this Mac's clock is (59|60|61) s behind/) });
    } finally {
      skewMs = 0;
    }
  });
});

describe('doctor: what needs a running VM', () => {
  const simEnv = () => ({ ...process.env, TART_HOME: home, TART_SIM_BOOT_MS: '300' });
  let vm: ReturnType<typeof import('node:child_process').spawn> | undefined;
  beforeAll(async () => {
    const { spawn } = await import('node:child_process');
    // The image's metadata, as the image build writes it, 26 days old.
    const meta = path.join(home, 'vms/base/guest/Users/admin/.tartfleet');
    mkdirSync(meta, { recursive: true });
    writeFileSync(path.join(meta, 'image.json'), JSON.stringify({ schema: 1, runnerVersion: '2.329.0', buildDate: new Date(Date.now() - 26 * 86_400_000).toISOString() }));
    await exec(TART, ['clone', 'base', 'tf-macos-d1'], { env: simEnv() });
    vm = spawn(TART, ['run', '--no-graphics', 'tf-macos-d1'], { env: simEnv(), stdio: 'ignore', detached: true });
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const { stdout } = await exec(TART, ['list', '--format', 'json'], { env: simEnv() });
      if ((JSON.parse(stdout) as Array<{ Name: string; State: string }>).some((v) => v.Name === 'tf-macos-d1' && v.State === 'running')) return;
    }
    throw new Error('VM not running within 30 s');
  }, 60_000);
  afterAll(() => {
    if (vm) killGroup(vm);
  });

  it('warns at 25 days of runner age, from the image metadata read over SSH', async () => {
    writeFileSync(config, `${'hostId: t'}\nstateDir: ${dir}/state\nssh: { password: admin, hostKeyFingerprint: "${simHostKeyFingerprint(home, 'base')}" }\npools:\n  - { name: macos, image: base, labels: [macos] }\n`);
    const { check } = await doctor();
    expect(check('ssh')?.status).toBe('ok');
    expect(check('local-network')?.status).toBe('ok');
    expect(check('runner-age')).toMatchObject({ status: 'warn', detail: 'tf-macos-d1: runner 2.329.0, built 26 day(s) ago; GitHub refuses runners about 30 days behind the newest release' });
  }, 60_000);

  it('fails Local Network when connecting to the VM gives EHOSTUNREACH (what macOS answers without the permission)', async () => {
    const { code, check } = await doctor({}, { connect: 'EHOSTUNREACH' });
    expect(check('local-network')).toMatchObject({ status: 'fail', fix: expect.stringContaining('Privacy & Security → Local Network') });
    expect(code).toBe(1);
  }, 60_000);
});
