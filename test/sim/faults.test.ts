// Fault injection: every fault of test/sim/README.md, set per VM name, by seeded probability, in the
// environment or in the control file, observed through the command line and the guest as a
// controller would observe the real failure.
import { mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshConnect, sshExec } from '../contract/tart/ssh-exec';
import { TartHarness, waitFor } from '../contract/tart/tart-harness';

const stateOf = async (h: TartHarness, name: string): Promise<unknown> => {
  const rows = JSON.parse((await h.ok(['list', '--format', 'json'])).stdout) as { Name: string; State: string }[];
  return rows.find((r) => r.Name === name)?.State;
};

// Every case gets its own TART_HOME, so they run several at a time: most of their time is spent
// waiting for guests to boot and for faults to play out.
const test = it.extend<{ h: TartHarness }>({
  // eslint-disable-next-line no-empty-pattern
  h: async ({}, use) => {
    const h = new TartHarness();
    await use(h);
    await h.cleanup();
  },
});

describe.concurrent('tart simulator fault injection', () => {
  const controlFile = (h: TartHarness, text: string): void => {
    mkdirSync(path.join(h.home, '.sim'), { recursive: true });
    writeFileSync(path.join(h.home, '.sim', 'faults'), text);
  };

  test('clone-fail@glob fails matching clones with "No space left on device" (exit 1) and leaves no VM', async ({ h }) => {
    await h.base();
    const env = { TART_SIM_FAULTS: 'clone-fail@tf-*' };
    const failed = await h.tart(['clone', 'base', 'tf-pool-1'], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^Error: .*No space left on device/);
    expect(existsSync(path.join(h.home, 'vms', 'tf-pool-1'))).toBe(false);
    await h.ok(['clone', 'base', 'other'], env);
  });

  test('a custom clone-fail message is printed as given', async ({ h }) => {
    await h.base();
    const r = await h.tart(['clone', 'base', 'vm1'], { TART_SIM_FAULTS: 'clone-fail@vm1=disk quota exceeded' });
    expect([r.code, r.stderr]).toEqual([1, 'Error: disk quota exceeded\n']);
  });

  test('a probability fails a seeded, repeatable subset of VM names', async ({ h }) => {
    await h.base();
    const names = Array.from({ length: 12 }, (_, i) => `vm-${i}`);
    const outcome = async (seed: string): Promise<string> => {
      let bits = '';
      for (const name of names) {
        const r = await h.tart(['clone', 'base', name], { TART_SIM_FAULTS: 'clone-fail%0.5', TART_SIM_SEED: seed });
        bits += r.code === 0 ? '.' : 'x';
      }
      return bits;
    };
    const first = await outcome('7');
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await outcome('7')).toBe(first);
    expect(await outcome('8')).not.toBe(first);
  });

  test('boot-hang: the VM runs but never gets an IP (ip fails without the "is your VM running" hint)', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const run = h.spawn(['run', '--no-graphics', 'vm1'], { TART_SIM_FAULTS: 'boot-hang@vm1', TART_SIM_BOOT_MS: '100' });
    await waitFor('vm1 running', async () => ((await stateOf(h, 'vm1')) === 'running' ? true : undefined));
    const ip = await h.tart(['ip', '--wait', '2', 'vm1']);
    expect([ip.code, ip.stderr]).toEqual([1, 'no IP address found\n']);
    expect(run.proc.exitCode).toBeNull();
    await h.ok(['stop', 'vm1']);
    expect((await run.exited).stdout).toBe('Stopping VM...\n');
  });

  test('ssh-refuse: the guest has an IP but its SSH port refuses connections', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { ip } = await h.boot('vm1', { TART_SIM_FAULTS: 'ssh-refuse@vm1', TART_SIM_BOOT_MS: '100' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const socket = connect({ host: ip, port: Number(process.env.TART_SIM_SSH_PORT ?? 22) });
      socket.on('connect', () => {
        socket.destroy();
        resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
      });
      socket.on('error', resolve);
    });
    expect(error.code).toBe('ECONNREFUSED');
  });

  test('guest-crash: mid-job the VM dies, the session drops, run reports the error and exits 0', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run, ip } = await h.boot('vm1', { TART_SIM_FAULTS: 'guest-crash@vm1=400' });
    const ssh = await sshConnect(ip);
    const job = await sshExec(ssh, 'echo job-started; sleep 30; echo job-finished');
    ssh.end();
    expect(job.stdout).toBe('job-started\n');
    expect(job.stdout).not.toContain('job-finished');
    const done = await run.exited;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^guest has stopped the virtual machine due to error: .+\n$/);
    expect(await stateOf(h, 'vm1')).toBe('stopped');
  });

  test('run-fail: run fails to start with the VZ error on stderr (exit 1), leaving the VM stopped', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const r = await h.tart(['run', '--no-graphics', 'vm1'], { TART_SIM_FAULTS: 'run-fail@vm1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error Domain=VZErrorDomain Code=2 "Failed to lock auxiliary storage\."/);
    expect(await stateOf(h, 'vm1')).toBe('stopped');
  });

  test('leaked-slots from the control file: the limit error with no other VM running; clears when the rule goes', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    controlFile(h, '# a leaked VZ slot (tart #1217)\nleaked-slots=2\n');
    const refused = await h.tart(['run', '--no-graphics', 'vm1']);
    expect([refused.code, refused.stderr]).toEqual([1, 'The number of VMs exceeds the system limit\n']);
    rmSync(path.join(h.home, '.sim', 'faults'));
    const run = h.spawn(['run', '--no-graphics', 'vm1']);
    await waitFor('vm1 running', async () => ((await stateOf(h, 'vm1')) === 'running' ? true : undefined));
    expect(run.proc.exitCode).toBeNull();
  });

  test('stop-hang set in the control file while the VM runs makes `tart stop` fall back to SIGKILL', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run } = await h.boot('vm1');
    controlFile(h, 'stop-hang@vm1');
    const stop = await h.tart(['stop', '--timeout', '1', 'vm1']);
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeGreaterThanOrEqual(900);
    const done = await run.exited;
    expect([done.signal, done.stdout]).toEqual(['SIGKILL', '']);
  });

  test('slow-<command> delays that command for the matching VM only', async ({ h }) => {
    await h.base();
    const env = { TART_SIM_FAULTS: 'slow-clone@slow=1500' };
    const slow = await h.ok(['clone', 'base', 'slow'], env);
    expect(slow.ms).toBeGreaterThanOrEqual(1500);
    const fast = await h.ok(['clone', 'base', 'fast'], env);
    expect(fast.ms).toBeLessThan(1500);
  });

  test('slow-shutdown keeps run alive after SIGINT for the given time', async ({ h }) => {
    await h.base();
    await h.ok(['clone', 'base', 'vm1']);
    const { run } = await h.boot('vm1', { TART_SIM_FAULTS: 'slow-shutdown@vm1=1200' });
    const sent = Date.now();
    run.proc.kill('SIGINT');
    const done = await run.exited;
    expect(done.code).toBe(0);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1100);
  });

  test('pull-fail makes pulls (and clones that pull) fail with the registry status', async ({ h }) => {
    await h.base();
    await h.ok(['push', 'base', 'ghcr.io/acme/runner:v1']);
    const r = await h.tart(['clone', 'ghcr.io/acme/runner:v1', 'vm1'], { TART_SIM_FAULTS: 'pull-fail@ghcr.io/acme/*=503' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: UnexpectedHTTPStatusCode(when: "pulling manifest", code: 503, details: "")\n');
  });

  test('a malformed rule is reported by name and value', async ({ h }) => {
    const r = await h.tart(['list'], { TART_SIM_FAULTS: 'clone-fail%2' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: fault rule 'clone-fail%2': probability must be a number in 0..1, got '2'\n");
  });
});
