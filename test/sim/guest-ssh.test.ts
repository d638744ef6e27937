// The simulated guest as a controller meets it: a standard SSH server (ssh2 and OpenSSH clients),
// admin/admin and authorized keys, commands run by bash with the guest contract's environment,
// stdin/stdout/stderr/exit status passed through, and power control from inside the guest.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sshKeyPair } from './src/ssh-key-pair';
import { hardenGuest } from '../helpers/harden-guest';
import { describe, expect, it } from 'vitest';
import { sshConnect, sshExec } from '../contract/tart/ssh-exec';
import { TartHarness, waitFor } from '../contract/tart/tart-harness';

const run = promisify(execFile);


/** True once `pid` no longer exists (signal 0 probes without sending anything). */
function processGone(pid: number): true | undefined {
  try {
    process.kill(pid, 0);
    return undefined;
  } catch {
    return true;
  }
}

// Every case gets its own scratch folder and TART_HOME, so they run several at a time: most of their
// time is spent waiting for guests to boot, power off or reboot.
const test = it.extend<{ scratch: string; h: TartHarness }>({
  // eslint-disable-next-line no-empty-pattern
  scratch: async ({}, use) => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'tart-sim-guest-'));
    // A small image source so the test does not depend on what other components put in the image.
    mkdirSync(path.join(scratch, 'src', 'packer', 'guest'), { recursive: true });
    mkdirSync(path.join(scratch, 'src', 'test', 'sim', 'image', 'actions-runner'), { recursive: true });
    writeFileSync(path.join(scratch, 'src', 'packer', 'guest', 'hello.sh'), '#!/bin/bash\necho "hello from $(basename "$0")"\n', { mode: 0o755 });
    writeFileSync(path.join(scratch, 'src', 'test', 'sim', 'image', 'actions-runner', 'run.sh'), '#!/bin/bash\necho runner\n', { mode: 0o755 });
    await use(scratch);
    rmSync(scratch, { recursive: true, force: true });
  },
  h: async ({ scratch }, use) => {
    const h = new TartHarness({ TART_SIM_IMAGE_SRC: path.join(scratch, 'src') });
    await use(h);
    await h.cleanup();
  },
});

const guest = (h: TartHarness, vm: string, ...p: string[]): string => path.join(h.home, 'vms', vm, 'guest', ...p);

describe.concurrent('simulated guest over SSH', () => {
  test('runs a command with the guest environment, passing stdin, stdout, stderr and the exit code', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { ip } = await h.boot('vm1');
    const ssh = await sshConnect(ip);
    try {
      const r = await sshExec(ssh, 'read -r line; echo "got:$line"; echo oops >&2; echo "$HOME|$USER|$LOGNAME|$SHELL|$(pwd)"; hello.sh; exit 7', 'from-stdin\n');
      const home = guest(h, 'vm1', 'Users', 'admin');
      expect(r.stdout).toBe(`got:from-stdin\n${home}|admin|admin|/bin/bash|${home}\nhello from hello.sh\n`);
      expect(r.stderr).toBe('oops\n');
      expect(r.code).toBe(7);
      // The host's environment (TART_HOME, the simulator's settings) must not leak into the guest.
      const env = await sshExec(ssh, 'echo "$PATH"; command -v shutdown sudo node; env | grep -cE "^(TART_HOME|TART_SIM_BOOT_MS|NODE_OPTIONS|VITEST)=" || true');
      const [pathLine, shutdown, sudo, node, tartVars] = env.stdout.trim().split('\n');
      expect(pathLine).toBe(`${guest(h, 'vm1', 'sim', 'bin')}:${guest(h, 'vm1', 'usr', 'local', 'bin')}:${home}/.tartfleet:/usr/local/bin:/usr/bin:/bin`);
      expect(shutdown).toBe(guest(h, 'vm1', 'sim', 'bin', 'shutdown'));
      expect(sudo).toBe(guest(h, 'vm1', 'sim', 'bin', 'sudo'));
      expect(node).toMatch(/\/node$/);
      expect(tartVars).toBe('0');
      const big = await sshExec(ssh, 'cat | wc -c', 'x'.repeat(300_000));
      expect(big.stdout.trim()).toBe('300000');
      const sudoRun = await sshExec(ssh, 'echo admin | sudo -S -p "" sh -c "cat; echo as-sudo"', '');
      expect(sudoRun.stdout).toBe('as-sudo\n');
    } finally {
      ssh.end();
    }
  });

  test('bakes packer/guest into ~/.tartfleet and the runner stand-in into ~/actions-runner, modes kept', async ({ h }) => {
    await h.base();
    const hello = guest(h, 'base', 'Users', 'admin', '.tartfleet', 'hello.sh');
    expect(readFileSync(hello, 'utf8')).toContain('hello from');
    expect(readFileSync(guest(h, 'base', 'Users', 'admin', 'actions-runner', 'run.sh'), 'utf8')).toContain('runner');
    await h.ok(['clone', 'base', 'vm1']);
    const { ip } = await h.boot('vm1');
    const ssh = await sshConnect(ip);
    try {
      const r = await sshExec(ssh, '"$HOME/.tartfleet/hello.sh" && test -x "$HOME/actions-runner/run.sh" && echo executable');
      expect(r.stdout).toBe('hello from hello.sh\nexecutable\n');
    } finally {
      ssh.end();
    }
  });

  test('accepts admin/admin and keys in ~/.ssh/authorized_keys, and rejects anything else', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { ip } = await h.boot('vm1');
    const good = sshKeyPair();
    const other = sshKeyPair();
    writeFileSync(guest(h, 'vm1', 'Users', 'admin', '.ssh', 'authorized_keys'), `# test key\n${good.public}\n`);
    const byKey = await sshConnect(ip, { password: undefined, privateKey: good.private });
    try {
      expect((await sshExec(byKey, 'echo key-ok')).stdout).toBe('key-ok\n');
    } finally {
      byKey.end();
    }
    await expect(sshConnect(ip, { password: undefined, privateKey: other.private }, 3000)).rejects.toThrow(/authentication/i);
    await expect(sshConnect(ip, { password: 'wrong' }, 3000)).rejects.toThrow(/authentication/i);
    await expect(sshConnect(ip, { username: 'root' }, 3000)).rejects.toThrow(/authentication/i);
  });

  test('an image hardened by packer/scripts/harden-sshd.sh refuses admin/admin and takes only the agent key', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const agentKey = sshKeyPair();
    hardenGuest(guest(h, 'vm1'), agentKey.public);
    const { ip } = await h.boot('vm1');
    await expect(sshConnect(ip, { password: 'admin' }, 3000)).rejects.toThrow(/authentication/i);
    const byKey = await sshConnect(ip, { password: undefined, privateKey: agentKey.private });
    try {
      expect((await sshExec(byKey, 'echo key-ok')).stdout).toBe('key-ok\n');
    } finally {
      byKey.end();
    }
  });

  test('presents the image host key (kept by clones) that guest/etc/ssh publishes', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const published = readFileSync(guest(h, 'base', 'etc', 'ssh', 'ssh_host_ed25519_key.fingerprint'), 'utf8').trim();
    expect(readFileSync(guest(h, 'vm1', 'etc', 'ssh', 'ssh_host_ed25519_key.fingerprint'), 'utf8').trim()).toBe(published);
    const { ip } = await h.boot('vm1');
    let seen = '';
    const ssh = await sshConnect(ip, {
      hostHash: 'sha256',
      hostVerifier: (hash: string) => {
        seen = `SHA256:${Buffer.from(hash, 'hex').toString('base64').replace(/=+$/, '')}`;
        return true;
      },
    } as never);
    ssh.end();
    expect(seen).toBe(published);
  });

  test('is a standard SSH server for the OpenSSH client (key auth, pinned host key)', async ({ h, scratch }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { ip } = await h.boot('vm1');
    const key = path.join(scratch, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    writeFileSync(guest(h, 'vm1', 'Users', 'admin', '.ssh', 'authorized_keys'), readFileSync(`${key}.pub`));
    const knownHosts = path.join(scratch, 'known_hosts');
    writeFileSync(knownHosts, `${ip} ${readFileSync(guest(h, 'vm1', 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8')}`);
    chmodSync(key, 0o600);
    const ssh = (cmd: string, hostsFile: string, strict: string): Promise<{ stdout: string; stderr: string }> =>
      run('ssh', ['-i', key, '-p', process.env.TART_SIM_SSH_PORT ?? '22', '-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${strict}`, '-o', `UserKnownHostsFile=${hostsFile}`, '-o', 'ConnectTimeout=10', `admin@${ip}`, cmd], { timeout: 30_000 });
    // Like a controller: the address is there before sshd answers, so retry the dial.
    const first = await waitFor('OpenSSH login', async () => {
      try {
        return await ssh('echo "openssh:$USER"; exit 0', '/dev/null', 'no');
      } catch {
        return undefined;
      }
    });
    expect(first.stdout).toBe('openssh:admin\n');
    const pinned = await ssh('echo pinned', knownHosts, 'yes');
    expect(pinned.stdout).toBe('pinned\n');
    await expect(ssh('exit 3', knownHosts, 'yes')).rejects.toMatchObject({ code: 3 });
  });

  test('powers off from inside with `sudo shutdown -h now` and kills every guest process', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run: vm, ip } = await h.boot('vm1');
    const ssh = await sshConnect(ip);
    const marker = `tart-sim-guest-${process.pid}-${Date.now()}`;
    let pids: number[];
    try {
      // One process stays in the session's group; one leaves it with setsid, as daemons do.
      const bg = await sshExec(ssh, `(exec -a ${marker} sleep 300) >/dev/null 2>&1 & echo $!; setsid sleep 301 </dev/null >/dev/null 2>&1 & echo $!`);
      pids = bg.stdout.trim().split('\n').map(Number);
      const off = await sshExec(ssh, 'sudo shutdown -h now; echo "shutdown returned $?"');
      expect(off.stdout).toBe('shutdown returned 0\n');
    } finally {
      ssh.end();
    }
    const done = await vm.exited;
    expect([done.code, done.stdout, done.stderr]).toEqual([0, 'guest has stopped the virtual machine\n', '']);
    expect(pids).toHaveLength(2);
    for (const p of pids) {
      expect(p).toBeGreaterThan(0);
      await waitFor(`guest process ${p} killed`, () => processGone(p), 5000);
    }
  });

  test('kill -9 of `tart run` still kills the guest processes (in and out of their group)', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run: vm, ip } = await h.boot('vm1');
    const ssh = await sshConnect(ip);
    let pids: number[];
    try {
      const bg = await sshExec(ssh, 'sleep 302 >/dev/null 2>&1 & echo $!; setsid sleep 303 </dev/null >/dev/null 2>&1 & echo $!');
      pids = bg.stdout.trim().split('\n').map(Number);
    } finally {
      ssh.end();
    }
    expect(pids).toHaveLength(2);
    vm.proc.kill('SIGKILL');
    await vm.exited;
    for (const p of pids) {
      await waitFor(`guest process ${p} killed`, () => processGone(p), 10_000);
    }
  });

  test.for([['poweroff'], ['sudo poweroff'], ['sudo halt'], ['shutdown -h now'], ['sudo /sbin/shutdown -h now']])('`%s` in the guest stops the VM (exit 0)', async ([cmd = ''], { h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run: vm, ip } = await h.boot('vm1');
    const ssh = await sshConnect(ip);
    try {
      await sshExec(ssh, cmd);
    } finally {
      ssh.end();
    }
    const done = await vm.exited;
    expect([done.code, done.stdout, done.stderr]).toEqual([0, 'guest has stopped the virtual machine\n', '']);
  });

  test('reboots on `sudo reboot`: SSH drops, comes back, and tart run keeps running', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run: vm, ip } = await h.boot('vm1');
    const ssh = await sshConnect(ip);
    const closed = new Promise<void>((resolve) => ssh.on('close', () => resolve()));
    await sshExec(ssh, 'sudo reboot');
    await closed;
    const again = await sshConnect(ip);
    try {
      expect((await sshExec(again, 'echo back')).stdout).toBe('back\n');
    } finally {
      again.end();
    }
    expect(vm.proc.exitCode).toBeNull();
  });

  test('SIGUSR2 asks the guest to stop: `Requesting guest OS to stop...`, then a guest shutdown (exit 0)', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run: vm } = await h.boot('vm1');
    vm.proc.kill('SIGUSR2');
    const done = await vm.exited;
    expect([done.code, done.stdout, done.stderr]).toEqual([0, 'Requesting guest OS to stop...\nguest has stopped the virtual machine\n', '']);
  });
});
