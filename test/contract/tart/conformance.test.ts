// Conformance of the `tart` command line with docs/reference/tart-cli.md: one case per documented behaviour, each
// naming the section it checks; together they cover every row of the §9 checklist. The assertions
// are the command line's, so the same table runs against real tart on a Mac (see tart-harness.ts).
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { againstRealTart, TartHarness, waitFor, type TartResult } from './tart-harness';
import { sshConnect, sshExec } from './ssh-exec';

interface Case {
  /** docs/reference/tart-cli.md section (and §9 row) the case checks. */
  section: string;
  behaviour: string;
  /** Needs the simulator (its registry, image builder or fault injection). */
  simOnly?: boolean;
  check: (h: TartHarness) => Promise<void>;
}

const usageShape = (r: TartResult, command: string, message: string): void => {
  expect(r.code).toBe(64);
  const lines = r.stderr.split('\n');
  expect(lines[0]).toBe(`Error: ${message}`);
  expect(lines[1]).toMatch(new RegExp(`^Usage: tart ${command}`));
  expect(lines[2]).toBe(`  See 'tart ${command} --help' for more information.`);
};

const listJson = async (h: TartHarness, ...extra: string[]): Promise<Record<string, unknown>[]> => {
  const r = await h.ok(['list', '--format', 'json', ...extra]);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
};

const stateOf = async (h: TartHarness, name: string): Promise<unknown> => (await listJson(h)).find((v) => v.Name === name)?.State;

const macOf = (h: TartHarness, name: string): string =>
  (JSON.parse(readFileSync(path.join(h.home, 'vms', name, 'config.json'), 'utf8')) as { macAddress: string }).macAddress;

/** The local VM `base`, pushed to the registry as `remote`. */
const pushedBase = async (h: TartHarness, remote: string): Promise<void> => {
  await h.base();
  await h.ok(['push', 'base', remote]);
};

/** A VM folder `broken` (a clone of `base`) that lacks one of its three files. */
const brokenVm = async (h: TartHarness, file: 'config.json' | 'disk.img' | 'nvram.bin'): Promise<void> => {
  await h.base();
  await h.ok(['clone', 'base', 'broken']);
  rmSync(path.join(h.home, 'vms', 'broken', file));
};

const cases: Case[] = [
  // §9.1 Layout
  {
    section: '§1 Storage layout, §9.1',
    behaviour: 'a VM is vms/<name>/{config.json,disk.img,nvram.bin} and config.json carries tart\'s keys',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const dir = path.join(h.home, 'vms', 'vm1');
      for (const f of ['config.json', 'disk.img', 'nvram.bin']) expect(existsSync(path.join(dir, f))).toBe(true);
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      for (const key of ['version', 'os', 'arch', 'cpuCountMin', 'cpuCount', 'memorySizeMin', 'memorySize', 'macAddress', 'display', 'diskFormat']) {
        expect(config).toHaveProperty(key);
      }
      expect(config.macAddress).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    },
  },
  {
    section: '§1 VMDirectory.initialized, §0 VMMissingFiles, §9.1',
    behaviour: 'a VM folder missing one of its three files is not listed; opening it is VMMissingFiles (exit 1), not "does not exist"',
    check: async (h) => {
      await brokenVm(h, 'nvram.bin');
      expect((await listJson(h)).map((v) => v.Name)).not.toContain('broken');
      const missingFiles = 'VM is missing some of its files (config.json, disk.img or nvram.bin)\n';
      for (const args of [['get', 'broken'], ['set', 'broken', '--cpu', '4'], ['ip', 'broken'], ['stop', 'broken'], ['clone', 'broken', 'copy']]) {
        const r = await h.tart(args);
        expect([args[0], r.code, r.stderr]).toEqual([args[0], 1, missingFiles]);
      }
      const run = await h.tart(['run', '--no-graphics', 'broken']);
      expect([run.code, run.stderr]).toEqual([1, `Error: ${missingFiles}`]);
      // delete only needs config.json, so it removes the folder.
      await h.ok(['delete', 'broken']);
      expect(existsSync(path.join(h.home, 'vms', 'broken'))).toBe(false);
      const gone = await h.tart(['get', 'broken']);
      expect([gone.code, gone.stderr]).toEqual([2, 'the specified VM "broken" does not exist\n']);
    },
  },
  {
    section: '§0 Housekeeping, §9.1',
    behaviour: 'any command creates cache/ and tmp/ under TART_HOME',
    check: async (h) => {
      await h.ok(['list']);
      expect(statSync(path.join(h.home, 'cache')).isDirectory()).toBe(true);
      expect(statSync(path.join(h.home, 'tmp')).isDirectory()).toBe(true);
    },
  },
  {
    section: '§0 Housekeeping (Config().gc())',
    behaviour: 'entries of tmp/ that nobody holds are garbage-collected by the next command',
    check: async (h) => {
      await h.ok(['list']);
      writeFileSync(path.join(h.home, 'tmp', 'leftover'), 'x');
      await h.ok(['list']);
      expect(existsSync(path.join(h.home, 'tmp', 'leftover'))).toBe(false);
    },
  },
  {
    section: '§1 OCI cache, §3 pull, §9.1',
    simOnly: true,
    behaviour: 'pull stores sha256:<hex>/ with an absolute tag symlink; list shows tag and digest as OCI',
    check: async (h) => {
      await pushedBase(h, 'ghcr.io/acme/runner:v1');
      const pull = await h.ok(['pull', 'ghcr.io/acme/runner:v1']);
      expect(pull.stdout.split('\n').slice(0, 3)).toEqual(['pulling ghcr.io/acme/runner:v1...', 'pulling manifest...', expect.stringMatching(/^pulling disk \(\d+\.\d GB compressed\)\.\.\.$/)]);
      expect(pull.stdout).toContain('pulling NVRAM...\n');
      const tag = path.join(h.home, 'cache', 'OCIs', 'ghcr.io', 'acme', 'runner', 'v1');
      expect(lstatSync(tag).isSymbolicLink()).toBe(true);
      const target = readlinkSync(tag);
      expect(path.isAbsolute(target)).toBe(true);
      expect(path.basename(target)).toMatch(/^sha256:[0-9a-f]{64}$/);
      for (const f of ['config.json', 'disk.img', 'nvram.bin', 'manifest.json']) expect(existsSync(path.join(target, f))).toBe(true);
      const oci = (await listJson(h, '--source', 'oci')).map((v) => [v.Source, v.Name]);
      expect(oci).toEqual([
        ['OCI', 'ghcr.io/acme/runner:v1'],
        ['OCI', `ghcr.io/acme/runner@${path.basename(target)}`],
      ]);
      const again = await h.ok(['pull', 'ghcr.io/acme/runner:v1']);
      expect(again.stdout).toContain(`image is already cached and linked!`);
    },
  },
  {
    section: '§1 How clone works (step 1), §6',
    simOnly: true,
    behaviour: 'clone pulls an uncached remote image, and does not re-check a cached tag until `tart pull`',
    check: async (h) => {
      await pushedBase(h, 'ghcr.io/acme/runner:latest');
      const first = await h.ok(['clone', 'ghcr.io/acme/runner:latest', 'vm1']);
      expect(first.stdout).toMatch(/^pulling ghcr\.io\/acme\/runner:latest\.\.\./);
      await h.ok(['set', 'base', '--cpu', '6']);
      await h.ok(['push', 'base', 'ghcr.io/acme/runner:latest']);
      const second = await h.ok(['clone', 'ghcr.io/acme/runner:latest', 'vm2']);
      expect(second.stdout).toBe('');
      expect(JSON.parse((await h.ok(['get', 'vm2', '--format', 'json'])).stdout).CPU).toBe(4);
      await h.ok(['pull', 'ghcr.io/acme/runner:latest']);
      await h.ok(['clone', 'ghcr.io/acme/runner:latest', 'vm3']);
      expect(JSON.parse((await h.ok(['get', 'vm3', '--format', 'json'])).stdout).CPU).toBe(6);
    },
  },
  {
    section: '§3 clone registry errors',
    simOnly: true,
    behaviour: 'cloning an image the registry does not have: `Error: UnexpectedHTTPStatusCode(…404…)`, exit 1',
    check: async (h) => {
      const r = await h.tart(['clone', 'ghcr.io/acme/missing:latest', 'vm1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error: UnexpectedHTTPStatusCode\(when: "pulling manifest", code: 404/);
    },
  },
  {
    section: '§1 clone is copy-on-write, §9.1',
    behaviour: 'cloning a 50 GB sparse disk takes well under a second',
    check: async (h) => {
      await h.base();
      const size = statSync(path.join(h.home, 'vms', 'base', 'disk.img')).size;
      expect(size).toBeGreaterThanOrEqual(20e9);
      const r = await h.ok(['clone', 'base', 'fast']);
      expect(r.ms).toBeLessThan(1000);
      expect(statSync(path.join(h.home, 'vms', 'fast', 'disk.img')).size).toBe(size);
    },
  },
  // §9.2 Running state
  {
    section: '§2 Running state, §9.2',
    behaviour: 'while `run` holds the VM, list and get say running; after stop, stopped',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      expect(await stateOf(h, 'vm1')).toBe('stopped');
      const run = h.spawn(['run', '--no-graphics', 'vm1']);
      await waitFor('vm1 running', async () => ((await stateOf(h, 'vm1')) === 'running' ? true : undefined));
      const listed = (await listJson(h)).find((v) => v.Name === 'vm1');
      expect(listed?.Running).toBe(true);
      const get = JSON.parse((await h.ok(['get', 'vm1', '--format', 'json'])).stdout) as Record<string, unknown>;
      expect([get.Running, get.State]).toEqual([true, 'running']);
      await h.ok(['stop', 'vm1']);
      expect((await run.exited).code).toBe(0);
      expect(await stateOf(h, 'vm1')).toBe('stopped');
    },
  },
  {
    section: '§2 Running state, §3 run SIGKILL, §9.2',
    behaviour: 'kill -9 of `tart run` leaves the VM stopped (stop then exits 2)',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const run = h.spawn(['run', '--no-graphics', 'vm1']);
      await waitFor('vm1 running', async () => ((await stateOf(h, 'vm1')) === 'running' ? true : undefined));
      run.proc.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      expect(await stateOf(h, 'vm1')).toBe('stopped');
      const stop = await h.tart(['stop', 'vm1']);
      expect([stop.code, stop.stderr]).toEqual([2, 'VM "vm1" is not running\n']);
    },
  },
  // §9.3 run
  {
    section: '§3 run Lifecycle (4), §9.3',
    behaviour: 'run blocks and prints nothing on start, even once the guest has an IP',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run } = await h.boot('vm1');
      expect(run.proc.exitCode).toBeNull();
      expect(run.stdout()).toBe('');
      expect(run.stderr()).toBe('');
    },
  },
  {
    section: '§2 Two tart run of the same VM, §9.3',
    behaviour: 'a second run of a running VM: `VM "x" is already running!`, exit 2',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      h.spawn(['run', '--no-graphics', 'vm1']);
      await waitFor('vm1 running', async () => ((await stateOf(h, 'vm1')) === 'running' ? true : undefined));
      const second = await h.tart(['run', '--no-graphics', 'vm1']);
      expect([second.code, second.stdout, second.stderr]).toEqual([2, '', 'VM "vm1" is already running!\n']);
    },
  },
  {
    section: '§3 How tart run ends (guest powers off), §9.3',
    behaviour: 'a guest `sudo shutdown -h now` ends run: `guest has stopped the virtual machine`, exit 0',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run, ip } = await h.boot('vm1');
      const ssh = await sshConnect(ip);
      try {
        await sshExec(ssh, 'sudo shutdown -h now');
      } finally {
        ssh.end();
      }
      const done = await run.exited;
      expect([done.code, done.stdout, done.stderr]).toEqual([0, 'guest has stopped the virtual machine\n', '']);
      expect(await stateOf(h, 'vm1')).toBe('stopped');
    },
  },
  {
    section: '§3 How tart run ends (SIGINT), §9.3',
    behaviour: 'SIGINT to run: `Stopping VM...`, exit 0',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run } = await h.boot('vm1');
      run.proc.kill('SIGINT');
      const done = await run.exited;
      expect([done.code, done.stdout, done.stderr]).toEqual([0, 'Stopping VM...\n', '']);
    },
  },
  {
    section: '§3 How tart run ends (SIGTERM), §9.3',
    behaviour: 'SIGTERM kills run outright (no handler) and the VM is stopped',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run } = await h.boot('vm1');
      run.proc.kill('SIGTERM');
      const done = await run.exited;
      expect([done.signal, done.stdout]).toEqual(['SIGTERM', '']);
      expect(await stateOf(h, 'vm1')).toBe('stopped');
    },
  },
  {
    section: '§4 The concurrent macOS-VM limit, §9.3',
    behaviour: 'a third macOS VM: `The number of VMs exceeds the system limit (other running VMs: a, b)` on stderr, exit 1',
    check: async (h) => {
      await h.base();
      for (const v of ['a', 'b', 'c']) await h.ok(['clone', 'base', v]);
      h.spawn(['run', '--no-graphics', 'a']);
      h.spawn(['run', '--no-graphics', 'b']);
      await waitFor('a and b running', async () => ((await stateOf(h, 'a')) === 'running' && (await stateOf(h, 'b')) === 'running' ? true : undefined));
      const third = await h.tart(['run', '--no-graphics', 'c']);
      expect([third.code, third.stdout, third.stderr]).toEqual([1, '', 'The number of VMs exceeds the system limit (other running VMs: a, b)\n']);
      expect(await stateOf(h, 'c')).toBe('stopped');
    },
  },
  {
    section: '§4 limit is configurable and macOS-only',
    simOnly: true,
    behaviour: 'TART_SIM_MAX_DARWIN_VMS=1 refuses the second macOS VM, while a Linux VM still starts',
    check: async (h) => {
      await h.base();
      await h.base('lin', true);
      await h.ok(['clone', 'base', 'a']);
      await h.ok(['clone', 'base', 'b']);
      h.spawn(['run', '--no-graphics', 'a'], { TART_SIM_MAX_DARWIN_VMS: '1' });
      await waitFor('a running', async () => ((await stateOf(h, 'a')) === 'running' ? true : undefined));
      const second = await h.tart(['run', '--no-graphics', 'b'], { TART_SIM_MAX_DARWIN_VMS: '1' });
      expect([second.code, second.stderr]).toEqual([1, 'The number of VMs exceeds the system limit (other running VMs: a)\n']);
      h.spawn(['run', '--no-graphics', 'lin'], { TART_SIM_MAX_DARWIN_VMS: '1' });
      await waitFor('lin running', async () => ((await stateOf(h, 'lin')) === 'running' ? true : undefined));
    },
  },
  {
    section: '§0 Error output (run on a missing VM), §9.3, §9.9',
    behaviour: 'run on a missing VM: `Error: the specified VM "x" does not exist`, exit 1',
    check: async (h) => {
      const r = await h.tart(['run', '--no-graphics', 'ghost']);
      expect([r.code, r.stderr]).toEqual([1, 'Error: the specified VM "ghost" does not exist\n']);
    },
  },
  {
    section: '§3 run validation errors',
    behaviour: '--graphics with --no-graphics is a usage error (exit 64)',
    check: async (h) => {
      await h.base();
      const r = await h.tart(['run', '--graphics', '--no-graphics', 'base']);
      usageShape(r, 'run', '--graphics and --no-graphics are mutually exclusive');
    },
  },
  {
    section: '§3 run networking flags',
    behaviour: '--net-bridged with --net-softnet is a usage error (exit 64)',
    check: async (h) => {
      await h.base();
      const r = await h.tart(['run', '--net-bridged=en0', '--net-softnet', 'base']);
      usageShape(r, 'run', '--net-bridged, --net-softnet and --net-host are mutually exclusive');
    },
  },
  {
    section: '§2 Two tart run of the same VM (MAC collision)',
    behaviour: 'run of a VM whose MAC a running VM has prints the reset lines and takes a new MAC',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'a']);
      await h.ok(['clone', 'base', 'b']);
      const config = path.join(h.home, 'vms', 'b', 'config.json');
      writeFileSync(config, readFileSync(config, 'utf8').replace(/"macAddress" : "[^"]+"/, `"macAddress" : "${macOf(h, 'a')}"`));
      h.spawn(['run', '--no-graphics', 'a']);
      await waitFor('a running', async () => ((await stateOf(h, 'a')) === 'running' ? true : undefined));
      const b = h.spawn(['run', '--no-graphics', 'b']);
      await waitFor('b reset its MAC', () => (b.stdout().includes('Resetting VM') ? true : undefined));
      expect(b.stdout()).toBe('There is already a running VM with the same MAC address!\nResetting VM to assign a new MAC address...\n');
      expect(macOf(h, 'b')).not.toBe(macOf(h, 'a'));
    },
  },
  // §9.4 stop
  {
    section: '§3 stop (running), §9.4',
    behaviour: 'stop of a running VM prints nothing, exits 0, and run ends with `Stopping VM...`',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run } = await h.boot('vm1');
      const stop = await h.tart(['stop', 'vm1']);
      expect([stop.code, stop.stdout, stop.stderr]).toEqual([0, '', '']);
      const done = await run.exited;
      expect([done.code, done.stdout, done.stderr]).toEqual([0, 'Stopping VM...\n', '']);
    },
  },
  {
    section: '§3 stop (stopped, missing), §9.4',
    behaviour: 'stop of a stopped VM: `VM "x" is not running`, exit 2; of a missing VM: exit 2',
    check: async (h) => {
      await h.base();
      const stopped = await h.tart(['stop', 'base']);
      expect([stopped.code, stopped.stderr]).toEqual([2, 'VM "base" is not running\n']);
      const missing = await h.tart(['stop', 'ghost']);
      expect([missing.code, missing.stderr]).toEqual([2, 'the specified VM "ghost" does not exist\n']);
    },
  },
  {
    section: '§3 stop (suspended)',
    behaviour: 'stop of a suspended VM discards state.vzvmsave and exits 0',
    check: async (h) => {
      await h.base();
      writeFileSync(path.join(h.home, 'vms', 'base', 'state.vzvmsave'), 'snapshot');
      expect(await stateOf(h, 'base')).toBe('suspended');
      await h.ok(['stop', 'base']);
      expect(existsSync(path.join(h.home, 'vms', 'base', 'state.vzvmsave'))).toBe(false);
      expect(await stateOf(h, 'base')).toBe('stopped');
    },
  },
  {
    section: '§3 stop --timeout then SIGKILL, §9.4',
    simOnly: true,
    behaviour: 'when run ignores SIGINT, stop polls for --timeout seconds, then SIGKILLs it and exits 0',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run } = await h.boot('vm1', { TART_SIM_FAULTS: 'stop-hang@vm1' });
      const stop = await h.tart(['stop', '--timeout', '2', 'vm1']);
      expect(stop.code).toBe(0);
      expect(stop.ms).toBeGreaterThanOrEqual(1900);
      expect((await run.exited).signal).toBe('SIGKILL');
      expect(await stateOf(h, 'vm1')).toBe('stopped');
    },
  },
  {
    section: '§3 stop --timeout 0',
    simOnly: true,
    behaviour: 'stop --timeout 0 does not wait: SIGKILL straight after SIGINT (run ignoring SIGINT dies at once)',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run } = await h.boot('vm1', { TART_SIM_FAULTS: 'stop-hang@vm1' });
      const stop = await h.tart(['stop', '--timeout', '0', 'vm1']);
      expect([stop.code, stop.stderr]).toEqual([0, '']);
      expect((await run.exited).signal).toBe('SIGKILL');
    },
  },
  {
    section: '§2 Running state (lock is exclusive)',
    behaviour: 'of five `tart run` of one VM started together, one runs and four exit 2 `already running`',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const finished: TartResult[] = [];
      for (let i = 0; i < 5; i++) void h.spawn(['run', '--no-graphics', 'vm1']).exited.then((r) => finished.push(r));
      const losers = await waitFor('four runs to give up', () => (finished.length >= 4 ? finished : undefined), 30_000);
      expect(losers.map((r) => [r.code, r.stderr])).toEqual(Array(4).fill([2, 'VM "vm1" is already running!\n']));
      expect(await stateOf(h, 'vm1')).toBe('running');
    },
  },
  // §9.5 clone
  {
    section: '§1 How clone works (step 5), §9.5',
    behaviour: 'clone onto an existing VM silently replaces it (exit 0, no output)',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      await h.ok(['set', 'vm1', '--cpu', '8']);
      const r = await h.tart(['clone', 'base', 'vm1']);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
      expect(JSON.parse((await h.ok(['get', 'vm1', '--format', 'json'])).stdout).CPU).toBe(4);
    },
  },
  {
    section: '§1 Where things live (local names), §9.5',
    behaviour: 'clone to a name containing `/`: usage error, exit 64',
    check: async (h) => {
      await h.base();
      usageShape(await h.tart(['clone', 'base', 'a/b']), 'clone', '<new-name> should be a local name');
    },
  },
  {
    section: '§1 How clone works (step 4), §9.5',
    behaviour: 'clone gives a new MAC when a local VM has the source\'s, and keeps it for the first clone of an image',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      expect(macOf(h, 'vm1')).not.toBe(macOf(h, 'base'));
      expect(macOf(h, 'vm1')).toMatch(/^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
      if (againstRealTart) return;
      await h.ok(['push', 'base', 'ghcr.io/acme/runner:v1']);
      await h.ok(['delete', 'base', 'vm1']);
      await h.ok(['clone', 'ghcr.io/acme/runner:v1', 'first']);
      await h.ok(['clone', 'ghcr.io/acme/runner:v1', 'second']);
      const image = JSON.parse(readFileSync(path.join(h.home, 'cache', 'OCIs', 'ghcr.io', 'acme', 'runner', 'v1', 'config.json'), 'utf8')) as { macAddress: string };
      expect(macOf(h, 'first')).toBe(image.macAddress);
      expect(macOf(h, 'second')).not.toBe(image.macAddress);
    },
  },
  {
    section: '§3 clone exit codes, §9.5',
    behaviour: 'clone of a missing source: `the specified VM "x" does not exist`, exit 2',
    check: async (h) => {
      const r = await h.tart(['clone', 'ghost', 'vm1']);
      expect([r.code, r.stderr]).toEqual([2, 'the specified VM "ghost" does not exist\n']);
    },
  },
  {
    section: '§3 clone flags',
    behaviour: '--concurrency 0: `Error: network concurrency cannot be less than 1`, exit 64',
    check: async (h) => {
      await h.base();
      usageShape(await h.tart(['clone', '--concurrency', '0', 'base', 'vm1']), 'clone', 'network concurrency cannot be less than 1');
    },
  },
  // §9.6 delete
  {
    section: '§3 delete (running), §9.6',
    behaviour: 'delete of a running VM: `VM "x" is running`, exit 1, and the VM stays',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      h.spawn(['run', '--no-graphics', 'vm1']);
      await waitFor('vm1 running', async () => ((await stateOf(h, 'vm1')) === 'running' ? true : undefined));
      const r = await h.tart(['delete', 'vm1']);
      expect([r.code, r.stderr]).toEqual([1, 'VM "vm1" is running\n']);
      expect(await stateOf(h, 'vm1')).toBe('running');
    },
  },
  {
    section: '§3 delete (missing, several names), §9.6',
    behaviour: 'delete handles names in order and stops at the first missing one (exit 2)',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'a']);
      await h.ok(['clone', 'base', 'c']);
      const r = await h.tart(['delete', 'a', 'ghost', 'c']);
      expect([r.code, r.stdout, r.stderr]).toEqual([2, '', 'the specified VM "ghost" does not exist\n']);
      const names = (await listJson(h)).map((v) => v.Name);
      expect(names).not.toContain('a');
      expect(names).toContain('c');
      const ok = await h.tart(['delete', 'c']);
      expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '', '']);
      expect(existsSync(path.join(h.home, 'vms', 'c'))).toBe(false);
    },
  },
  // §9.7 ip
  {
    section: '§3 ip output, §9.7',
    behaviour: 'ip of a booted VM prints `<ipv4>\\n`, exit 0',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { ip } = await h.boot('vm1');
      const r = await h.ok(['ip', 'vm1']);
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\n$/);
      expect(r.stdout.trim()).toBe(ip);
      if (!againstRealTart) expect(ip).toMatch(/^127\./);
      expect(ip).not.toBe('127.0.0.1');
    },
  },
  {
    section: '§3 ip algorithm (miss), §9.7',
    behaviour: 'ip of a VM that never ran: `no IP address found, is your VM running?`, exit 1, after ≥ 1 s',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      await h.ok(['set', 'vm1', '--random-mac']);
      const r = await h.tart(['ip', 'vm1']);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'no IP address found, is your VM running?\n']);
      expect(r.ms).toBeGreaterThanOrEqual(1000);
    },
  },
  {
    section: '§3 ip --wait, §9.7',
    behaviour: 'ip --wait 2 on a miss keeps trying for 2 s before failing',
    check: async (h) => {
      await h.base();
      const r = await h.tart(['ip', '--wait', '2', 'base']);
      expect(r.code).toBe(1);
      expect(r.ms).toBeGreaterThanOrEqual(2000);
    },
  },
  {
    section: '§3 ip --wait (boot)',
    behaviour: 'ip --wait returns the address once a booting guest gets it',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      h.spawn(['run', '--no-graphics', 'vm1'], { TART_SIM_BOOT_MS: '2500' });
      const r = await h.tart(['ip', '--wait', '30', 'vm1']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\n$/);
      if (!againstRealTart) expect(r.ms).toBeGreaterThanOrEqual(1000);
    },
  },
  {
    section: '§3 ip Notes (stale lease), §9.7',
    behaviour: 'a stopped VM whose lease is still live resolves to its old IP',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const { run, ip } = await h.boot('vm1');
      await h.ok(['stop', 'vm1']);
      await run.exited;
      const r = await h.ok(['ip', 'vm1']);
      expect(r.stdout).toBe(`${ip}\n`);
    },
  },
  {
    section: '§3 ip flags and missing VM',
    behaviour: 'ip --resolver bogus is a usage error (64); ip of a missing VM exits 2',
    check: async (h) => {
      await h.base();
      const bad = await h.tart(['ip', '--resolver', 'bogus', 'base']);
      expect(bad.code).toBe(64);
      expect(bad.stderr.split('\n')[0]).toBe("Error: The value 'bogus' is invalid for '--resolver <resolver>'");
      const missing = await h.tart(['ip', 'ghost']);
      expect([missing.code, missing.stderr]).toEqual([2, 'the specified VM "ghost" does not exist\n']);
    },
  },
  {
    section: '§3 ip Output and errors (resolver suffixes), §5',
    simOnly: true,
    behaviour: 'ip --resolver agent on a vanilla-like guest (no tart-guest-agent) fails with the agent hint, exit 1',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      await h.boot('vm1');
      const r = await h.tart(['ip', '--resolver', 'agent', 'vm1']);
      expect([r.code, r.stderr]).toEqual([1, 'no IP address found (also make sure that Guest agent for Tart is running inside of a VM)\n']);
      const arp = await h.ok(['ip', '--resolver', 'arp', 'vm1']);
      expect(arp.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\n$/);
    },
  },
  {
    section: '§3 run Lifecycle (3: snapshot restore), §3 suspend',
    simOnly: true,
    behaviour: 'run of a suspended VM restores the snapshot, prints the two restore lines and deletes it',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      writeFileSync(path.join(h.home, 'vms', 'vm1', 'state.vzvmsave'), 'snapshot');
      const { run } = await h.boot('vm1');
      expect(run.stdout()).toBe('restoring VM state from a snapshot...\nresuming VM...\n');
      expect(existsSync(path.join(h.home, 'vms', 'vm1', 'state.vzvmsave'))).toBe(false);
    },
  },
  {
    section: '§3 tart exec',
    behaviour: 'exec needs a running VM (exit 2 otherwise)',
    check: async (h) => {
      await h.base();
      const r = await h.tart(['exec', 'base', 'true']);
      expect([r.code, r.stderr]).toEqual([2, 'VM "base" is not running\n']);
    },
  },
  // §9.8 list and get
  {
    section: '§3 list json, §9.8',
    behaviour: 'list --format json: pretty-printed with ` : `, `\\/` escapes, fields Source Name Disk Size Accessed Running State',
    simOnly: true,
    check: async (h) => {
      await pushedBase(h, 'ghcr.io/acme/runner:v1');
      await h.ok(['pull', 'ghcr.io/acme/runner:v1']);
      const r = await h.ok(['list', '--format', 'json']);
      expect(r.stdout).toContain('"Source" : "local"');
      expect(r.stdout).toContain('"ghcr.io\\/acme\\/runner:v1"');
      expect(r.stdout).toMatch(/^\[\n {2}\{\n {4}"/);
      const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
      expect(rows.map((v) => v.Source)).toEqual(['local', 'OCI', 'OCI']);
      for (const row of rows) {
        expect(Object.keys(row).sort()).toEqual(['Accessed', 'Disk', 'Name', 'Running', 'Size', 'Source', 'State']);
        expect(row.Accessed).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(typeof row.Disk).toBe('number');
        expect(typeof row.Size).toBe('number');
        expect(row.Running).toBe(false);
      }
    },
  },
  {
    section: '§3 list text, §9.8',
    behaviour: 'list text: header without Running, single-space aligned columns, local rows sorted by name',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'a-long-vm-name']);
      const r = await h.ok(['list', '--source', 'local']);
      const lines = r.stdout.replace(/\n$/, '').split('\n');
      expect(lines[0]).toMatch(/^Source Name +Disk Size Accessed +State *$/);
      expect(lines.slice(1).map((l) => l.split(/ +/)[1])).toEqual(['a-long-vm-name', 'base']);
      const col = (line: string, i: number): number => line.indexOf(line.split(/ +/)[i] as string, i === 0 ? 0 : line.indexOf(' '));
      expect(lines[1]?.indexOf('50')).toBe(lines[0]?.indexOf('Disk'));
      expect(lines[0]?.indexOf('Name')).toBe('Source '.length);
      expect(col(lines[1] as string, 0)).toBe(0);
      expect(r.stdout.endsWith('stopped\n')).toBe(true);
    },
  },
  {
    section: '§3 list (empty, quiet, --source)',
    behaviour: 'empty text list prints an empty line; -q prints names only; --source bogus exits 64',
    check: async (h) => {
      // --source local: against real tart the OCI cache is shared and not empty.
      expect((await h.ok(['list', '--source', 'local'])).stdout).toBe('\n');
      expect((await h.ok(['list', '--source', 'local', '-q'])).stdout).toBe('');
      await h.base();
      expect((await h.ok(['list', '--source', 'local', '--quiet'])).stdout).toBe('base\n');
      usageShape(await h.tart(['list', '--source', 'bogus']), 'list', "'bogus' is not a valid <source>");
    },
  },
  {
    section: '§3 get, §9.8',
    behaviour: 'get --format json: OS CPU Memory(MiB) Disk DiskFormat Size(string) Display Running State',
    check: async (h) => {
      await h.base();
      const r = await h.ok(['get', 'base', '--format', 'json']);
      expect(r.stdout).toContain('" : ');
      const info = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(info).sort()).toEqual(['CPU', 'Disk', 'DiskFormat', 'Display', 'Memory', 'OS', 'Running', 'Size', 'State']);
      expect(info.Size).toMatch(/^\d+\.\d{3}$/);
      expect(info.OS).toBe('darwin');
      expect(info.Display).toBe('1024x768');
      expect(typeof info.Memory).toBe('number');
      expect(info.Running).toBe(false);
    },
  },
  {
    section: '§3 get text, §9.8',
    behaviour: 'get text is a one-row table without Running',
    check: async (h) => {
      await h.base();
      const lines = (await h.ok(['get', 'base'])).stdout.replace(/\n$/, '').split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^OS +CPU +Memory +Disk +DiskFormat +Size +Display +State *$/);
      expect(lines[1]).toMatch(/^darwin +\d+ +\d+ +\d+ +raw +\d+\.\d{3} +1024x768 +stopped$/);
    },
  },
  {
    section: '§3 set',
    behaviour: 'set --cpu/--memory/--display/--random-mac/--disk-size change config, print nothing',
    check: async (h) => {
      await h.base();
      const mac = macOf(h, 'base');
      const r = await h.tart(['set', 'base', '--cpu', '6', '--memory', '12288', '--display', '1920x1080px', '--random-mac', '--disk-size', '60']);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
      const info = JSON.parse((await h.ok(['get', 'base', '--format', 'json'])).stdout) as Record<string, unknown>;
      expect([info.CPU, info.Memory, info.Display, info.Disk]).toEqual([6, 12288, '1920x1080px', 60]);
      expect(macOf(h, 'base')).not.toBe(mac);
    },
  },
  {
    section: '§3 set errors',
    behaviour: 'set below the macOS CPU minimum: `Error: LessThanMinimalResourcesError…`, exit 1; shrinking the disk: exit 1; missing VM: exit 2',
    check: async (h) => {
      await h.base();
      const cpu = await h.tart(['set', 'base', '--cpu', '1']);
      expect(cpu.code).toBe(1);
      expect(cpu.stderr).toMatch(/^Error: LessThanMinimalResourcesError: VM should have \d+ CPU cores at minimum \(requested 1\)\n$/);
      const shrink = await h.tart(['set', 'base', '--disk-size', '10']);
      expect(shrink.code).toBe(1);
      expect(shrink.stderr).toMatch(/^new disk size of .* should be larger than the current disk size of /);
      const missing = await h.tart(['set', 'ghost', '--cpu', '4']);
      expect([missing.code, missing.stderr]).toEqual([2, 'the specified VM "ghost" does not exist\n']);
    },
  },
  // §9.9 Errors and exit codes
  {
    section: '§0 Error output (validation), §9.9',
    behaviour: 'an unknown flag: `Error: Unknown option`, usage, help hint, exit 64',
    check: async (h) => {
      usageShape(await h.tart(['stop', '--bogus', 'x']), 'stop', "Unknown option '--bogus'");
      usageShape(await h.tart(['clone', 'only-one']), 'clone', "Missing expected argument '<new-name>'");
    },
  },
  {
    section: '§3 create validation, §9.9',
    behaviour: 'create without --from-ipsw or --linux: usage error, exit 64',
    check: async (h) => {
      usageShape(await h.tart(['create', 'vm1']), 'create', 'Please specify either a --from-ipsw or --linux option!');
    },
  },
  {
    section: '§0 Subcommands (--version)',
    behaviour: '--version prints a version line, exit 0',
    check: async (h) => {
      const r = await h.ok(['--version']);
      expect(r.stdout).toMatch(/^(\d+\.\d+\.\d+|SNAPSHOT)\n$/);
    },
  },
  {
    section: '§3 pull (local name)',
    behaviour: 'pull of a local name: `"x" is a local image, nothing to pull here!`, exit 0',
    check: async (h) => {
      await h.base();
      const r = await h.ok(['pull', 'base']);
      expect(r.stdout).toBe('"base" is a local image, nothing to pull here!\n');
    },
  },
  {
    section: '§3 pull (neither local nor remote), §0 FailedToParseRemoteName',
    behaviour: 'pull of a name that is neither a local VM nor a remote name: `failed to parse remote name: …`, exit 1',
    check: async (h) => {
      await brokenVm(h, 'disk.img');
      for (const name of ['ghost', 'broken', 'debian:latest', 'ghcr.io/a/../b']) {
        const r = await h.tart(['pull', name]);
        expect([name, r.code, r.stdout]).toEqual([name, 1, '']);
        expect(r.stderr).toMatch(/^failed to parse remote name: .+\n$/);
      }
    },
  },
  {
    section: '§1 Where things live (remote-name grammar)',
    behaviour: 'a host needs no dot: `acme/runner` is the remote name acme/runner:latest (pulled, not looked up locally)',
    check: async (h) => {
      const r = await h.tart(['pull', 'acme/runner']);
      expect(r.code).toBe(1);
      expect(r.stdout.split('\n')[0]).toBe('pulling acme/runner:latest...');
      expect(r.stderr).not.toContain('failed to parse remote name');
      expect(r.stderr).not.toContain('does not exist');
    },
  },
  {
    section: '§1 Where things live (remote-name grammar), §1 OCI cache',
    simOnly: true,
    behaviour: 'an image pushed as acme/runner:v1 is cached under host acme and clones like any remote image',
    check: async (h) => {
      await pushedBase(h, 'acme/runner:v1');
      await h.ok(['clone', 'acme/runner:v1', 'vm1']);
      expect(lstatSync(path.join(h.home, 'cache', 'OCIs', 'acme', 'runner', 'v1')).isSymbolicLink()).toBe(true);
      expect((await listJson(h, '--source', 'oci')).map((v) => v.Name)).toContain('acme/runner:v1');
    },
  },
  {
    section: '§3 set (CPU and memory minimums)',
    behaviour: 'set --memory below a minimum states it in bytes, for macOS and Linux VMs alike, exit 1',
    check: async (h) => {
      await h.base();
      await h.base('lin', true);
      const mac = await h.tart(['set', 'base', '--memory', '1024']);
      expect([mac.code, mac.stdout]).toEqual([1, '']);
      expect(mac.stderr).toMatch(/^Error: LessThanMinimalResourcesError: VM should have \d+ bytes of memory at minimum \(requested 1073741824\)\n$/);
      // 1 MB is below any VZ minimum; the exact minimum is the framework's (docs/reference/tart-cli.md §3 set).
      const lin = await h.tart(['set', 'lin', '--memory', '1']);
      expect(lin.code).toBe(1);
      expect(lin.stderr).toMatch(/^Error: LessThanMinimalResourcesError: VM should have \d+ bytes of memory at minimum \(requested 1048576\)\n$/);
      const linCpu = await h.tart(['set', 'lin', '--cpu', '0']);
      expect(linCpu.code).toBe(1);
      expect(linCpu.stderr).toMatch(/^Error: LessThanMinimalResourcesError: VM should have \d+ CPU cores at minimum \(requested 0\)\n$/);
      await h.ok(['set', 'lin', '--memory', '1024']);
      expect(JSON.parse((await h.ok(['get', 'lin', '--format', 'json'])).stdout)).toMatchObject({ Memory: 1024 });
    },
  },
  // §3 run, Networking: Softnet (against real tart these need softnet installed SUID root)
  {
    section: '§3 run Flags (Networking: --net-softnet-* imply --net-softnet)',
    behaviour: '--net-softnet-allow with --net-bridged is the mutual-exclusion usage error (exit 64)',
    check: async (h) => {
      await h.base();
      usageShape(await h.tart(['run', '--net-bridged=en0', '--net-softnet-allow=@host', 'base']), 'run', '--net-bridged, --net-softnet and --net-host are mutually exclusive');
      usageShape(await h.tart(['run', '--net-host', '--net-softnet-expose=2222:22', 'base']), 'run', '--net-bridged, --net-softnet and --net-host are mutually exclusive');
    },
  },
  {
    section: '§3 run Flags (Networking: Softnet), §3 run Lifecycle (5)',
    behaviour: 'Softnet with allow/block CIDRs and @host boots like the default network: nothing printed, an IP',
    check: async (h) => {
      await h.base();
      await h.ok(['clone', 'base', 'vm1']);
      const run = h.spawn(['run', '--no-graphics', '--net-softnet', '--net-softnet-allow=10.0.5.0/24,@host', '--net-softnet-block=@host', 'vm1']);
      const ip = await h.ok(['ip', '--wait', '60', 'vm1']);
      expect(ip.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\n$/);
      expect([run.proc.exitCode, run.stdout(), run.stderr()]).toEqual([null, '', '']);
    },
  },
  {
    section: '§3 run Flags (Networking: Softnet), §3 run Lifecycle (5)',
    behaviour: 'a value softnet cannot parse: its error, then `RuntimeFailed(why: "Softnet process terminated prematurely")`, exit 1, VM stopped',
    check: async (h) => {
      await h.base();
      const cases: [string, string][] = [
        ['--net-softnet-allow=10.0.0.1', "error: invalid value '10.0.0.1' for '--allow <comma-separated CIDRs or @-alias>': invalid IP address syntax"],
        ['--net-softnet-block=10.0.0.0/8,lan', "error: invalid value 'lan' for '--block <comma-separated CIDRs or @-alias>': invalid IP address syntax"],
        ['--net-softnet-expose=2222', `error: invalid value '2222' for '--expose <comma-separated port specifications>': invalid exposed port specification "2222", the format should be EXTERNAL:INTERNAL`],
        ['--net-softnet-expose=2222:ssh', `error: invalid value '2222:ssh' for '--expose <comma-separated port specifications>': invalid internal port "ssh"`],
      ];
      for (const [flag, softnetError] of cases) {
        const r = await h.tart(['run', '--no-graphics', flag, 'base']);
        expect(r.code, flag).toBe(1);
        expect(r.stderr.split('\n')[0], flag).toBe(softnetError);
        expect(r.stderr.trimEnd().split('\n').at(-1), flag).toBe('RuntimeFailed(why: "Softnet process terminated prematurely")');
        expect(await stateOf(h, 'base')).toBe('stopped');
      }
    },
  },
];

// Each case has its own TART_HOME, so simulated cases run several at a time (most of their time is
// spent waiting for guests to boot and commands to poll). Against real tart they share the Mac's
// 2-VM limit and run one by one.
const test = againstRealTart ? it : it.concurrent;

describe('tart conformance (docs/reference/tart-cli.md)', () => {
  for (const c of cases.filter((c) => !(againstRealTart && c.simOnly))) {
    test(`${c.section}: ${c.behaviour}`, async () => {
      const h = new TartHarness();
      try {
        await c.check(h);
      } finally {
        await h.cleanup();
      }
    });
  }
});
