/**
 * An in-memory TartCli for unit tests: VMs with states, background `run` handles that end when the
 * guest "powers off" or is stopped, scripted failures per command, and a call log.
 */
import { systemClock, type Clock } from '../../core/clock';
import type { StopAndDeleteOptions, TartCallOptions, TartCli, TartRunExit, TartRunHandle, TartSetOptions } from '../../host-agent/src/tart/tart-cli';
import { classifyTartMessage, TartError } from '../../host-agent/src/tart/tart-error';
import type { TartVm, TartVmInfo } from '../../host-agent/src/tart/parse-vm-list';

interface FakeVm {
  name: string;
  state: TartVm['state'];
  cpu: number;
  memoryMb: number;
  finish?: (exit: TartRunExit) => void;
}

/** What a test can do to the fake beyond the TartCli interface. */
export interface FakeTart extends TartCli {
  readonly calls: string[];
  readonly vms: Map<string, FakeVm>;
  /** Makes the next calls of `command` (e.g. `clone`) fail with this error text and exit code. */
  failNext(command: string, message: string, exitCode?: number, times?: number): void;
  /** Makes `command` hang until its timeout or signal. */
  hang(command: string): void;
  /** Makes every later call of `command` take `ms` of clock time (a slow `delete` of a large disk). */
  delay(command: string, ms: number): void;
  /** The guest of `name` powers itself off: its `run` ends with exit 0. */
  powerOff(name: string, output?: string): void;
  /** Address `ip` returns (default 127.9.0.1); undefined = no IP yet. */
  ipOf: (name: string) => string | undefined;
  /** The most VMs that were ever running at once (Apple's limit is 2). */
  readonly maxRunning: number;
}

function abortable(clock: Clock, options: TartCallOptions | undefined, command: string): Promise<never> {
  return new Promise((_, reject) => {
    const timer = clock.setTimer(options?.timeoutMs ?? 60_000, () => reject(new TartError('timeout', command, undefined, 'hung')));
    options?.signal?.addEventListener('abort', () => {
      timer.cancel();
      reject(new TartError('canceled', command, undefined, 'canceled'));
    });
  });
}

/** Builds a FakeTart with the base image `base` present; its timeouts run on `clock`. */
export function createFakeTart(options: { clock?: Clock } = {}): FakeTart {
  const clock = options.clock ?? systemClock;
  const vms = new Map<string, FakeVm>([['base', { name: 'base', state: 'stopped', cpu: 4, memoryMb: 8192 }]]);
  const calls: string[] = [];
  const failures = new Map<string, { message: string; exitCode: number; times: number }>();
  const hanging = new Set<string>();
  const delays = new Map<string, number>();

  async function enter(command: string, line: string, options?: TartCallOptions): Promise<void> {
    calls.push(line);
    await Promise.resolve();
    if (hanging.has(command)) await abortable(clock, options, `tart ${line}`);
    const delayMs = delays.get(command);
    if (delayMs !== undefined) await clock.sleep(delayMs, options?.signal);
    const failure = failures.get(command);
    if (failure && failure.times > 0) {
      failure.times -= 1;
      throw new TartError(classifyTartMessage(failure.message), `tart ${line}`, failure.exitCode, failure.message);
    }
  }
  const missing = (name: string, line: string): TartError => new TartError('vm-missing', `tart ${line}`, 2, `the specified VM "${name}" does not exist`);

  let maxRunning = 0;
  const fake: FakeTart = {
    get maxRunning() {
      return maxRunning;
    },
    calls,
    vms,
    ipOf: () => '127.9.0.1',
    failNext(command, message, exitCode = 1, times = 1) {
      failures.set(command, { message, exitCode, times });
    },
    hang(command) {
      hanging.add(command);
    },
    delay(command, ms) {
      delays.set(command, ms);
    },
    powerOff(name, output = 'guest has stopped the virtual machine\n') {
      const vm = vms.get(name);
      if (vm?.state !== 'running') return;
      vm.state = 'stopped';
      vm.finish?.({ exitCode: 0, signal: undefined, output, error: undefined });
    },
    async version(options) {
      await enter('version', '--version', options);
      return '2.32.1';
    },
    async clone(source, name, options) {
      await enter('clone', `clone ${source} ${name}`, options);
      if (!vms.has(source)) throw missing(source, `clone ${source} ${name}`);
      vms.set(name, { name, state: 'stopped', cpu: 4, memoryMb: 8192 });
    },
    async set(name, changes: TartSetOptions, options) {
      await enter('set', `set ${name}`, options);
      const vm = vms.get(name);
      if (!vm) throw missing(name, `set ${name}`);
      if (changes.cpu !== undefined && changes.cpu < 4) {
        throw new TartError('other', `tart set ${name}`, 1, `Error: LessThanMinimalResourcesError: VM should have 4 CPU cores at minimum (requested ${changes.cpu})`);
      }
      if (changes.cpu) vm.cpu = changes.cpu;
      if (changes.memoryMb) vm.memoryMb = changes.memoryMb;
    },
    run(name, options) {
      calls.push(['run', '--no-graphics', ...(options.extraArgs ?? []), name].join(' '));
      let resolve!: (exit: TartRunExit) => void;
      const exited = new Promise<TartRunExit>((r) => (resolve = r));
      const vm = vms.get(name);
      const failure = failures.get('run');
      if (!vm) {
        resolve({ exitCode: 1, signal: undefined, output: '', error: missing(name, `run ${name}`) });
      } else if (failure && failure.times > 0) {
        failure.times -= 1;
        const error = new TartError(failure.message.includes('limit') ? 'vm-limit' : 'other', `tart run --no-graphics ${name}`, failure.exitCode, failure.message);
        clock.setTimer(5, () => resolve({ exitCode: failure.exitCode, signal: undefined, output: failure.message, error }));
      } else {
        vm.state = 'running';
        maxRunning = Math.max(maxRunning, [...vms.values()].filter((v) => v.state === 'running').length);
        vm.finish = (exit) => {
          vm.finish = undefined;
          resolve(exit);
        };
      }
      const handle: TartRunHandle = {
        pid: undefined,
        exited,
        kill(signal) {
          const v = vms.get(name);
          if (v?.state === 'running') {
            v.state = 'stopped';
            v.finish?.({ exitCode: undefined, signal, output: '', error: new TartError('other', `tart run ${name}`, undefined, `killed by ${signal}`) });
          }
        },
      };
      return handle;
    },
    async ip(name, _wait, options) {
      await enter('ip', `ip ${name}`, options);
      if (!vms.has(name)) throw missing(name, `ip ${name}`);
      const ip = vms.get(name)?.state === 'running' ? fake.ipOf(name) : undefined;
      if (!ip) throw new TartError('other', `tart ip ${name}`, 1, 'no IP address found, is your VM running?');
      return ip;
    },
    async stop(name, _timeout, options) {
      await enter('stop', `stop ${name}`, options);
      const vm = vms.get(name);
      if (!vm) throw missing(name, `stop ${name}`);
      if (vm.state !== 'running') throw new TartError('not-running', `tart stop ${name}`, 2, `VM "${name}" is not running`);
      vm.state = 'stopped';
      vm.finish?.({ exitCode: 0, signal: undefined, output: 'Stopping VM...\n', error: undefined });
    },
    async delete(name, options) {
      await enter('delete', `delete ${name}`, options);
      const vm = vms.get(name);
      if (!vm) throw missing(name, `delete ${name}`);
      if (vm.state === 'running') throw new TartError('vm-running', `tart delete ${name}`, 1, `VM "${name}" is running`);
      vms.delete(name);
    },
    async stopAndDelete(name, options: StopAndDeleteOptions) {
      if ((await fake.stopForTeardown(name, options)) === 'missing') return;
      await fake.deleteForTeardown(name, { deadlineMs: options.deadlineMs, ...(options.signal ? { signal: options.signal } : {}) });
    },
    async stopForTeardown(name, options: StopAndDeleteOptions) {
      try {
        await fake.stop(name, options.stopTimeoutSeconds, { timeoutMs: Math.min(options.deadlineMs, 2_000), signal: options.signal });
      } catch (error: unknown) {
        if (error instanceof TartError && error.kind === 'vm-missing') return 'missing';
        if (error instanceof TartError && error.kind !== 'not-running') await options.onStopFailed?.(error);
      }
      return 'stopped';
    },
    async deleteForTeardown(name, options) {
      try {
        await fake.delete(name, { timeoutMs: Math.max(options.deadlineMs, 5_000), ...(options.signal ? { signal: options.signal } : {}) });
      } catch (error: unknown) {
        if (!(error instanceof TartError && error.kind === 'vm-missing')) throw error;
      }
    },
    async list(options) {
      await enter('list', 'list --source local --format json', options);
      return [...vms.values()].map((vm) => ({ name: vm.name, source: 'local' as const, state: vm.state, diskGb: 50 }));
    },
    async listAll(options) {
      return fake.list(options);
    },
    async get(name, options): Promise<TartVmInfo> {
      await enter('get', `get ${name}`, options);
      const vm = vms.get(name);
      if (!vm) throw missing(name, `get ${name}`);
      return { os: 'darwin', cpu: vm.cpu, memoryMb: vm.memoryMb, diskGb: 50, state: vm.state };
    },
  } satisfies FakeTart;
  return fake;
}
