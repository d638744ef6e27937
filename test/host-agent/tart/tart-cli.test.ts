import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTartCli, type TartCli } from '../../../host-agent/src/tart/tart-cli';
import { TartError } from '../../../host-agent/src/tart/tart-error';
import { silentLogger } from '../../../core/logger';
import { systemClock } from '../../../core/clock';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { createTartForConfig } from '../../../host-agent/src/cli/agent-runtime';

const stub = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/stub-tart.sh');

/** A tart 2.32.1 `list --format json` capture shape: `" : "`, `\/` escapes, varying key order. */
const LIST_JSON = `[
  {
    "Source" : "local",
    "Disk" : 50,
    "State" : "running",
    "Size" : 33,
    "Accessed" : "2026-08-18T05:06:00Z",
    "Name" : "tf-mac-abc1",
    "Running" : true
  },
  {
    "Name" : "ghcr.io\\/cirruslabs\\/macos-tahoe-base:latest",
    "Source" : "OCI",
    "Disk" : 50,
    "Running" : false
  }
]
`;

describe('createTartCli against a scripted tart', () => {
  let home: string;
  let tart: TartCli;
  const scenario = (file: string, text: string): void => writeFileSync(path.join(home, file), text);
  const calls = (): string[] => readFileSync(path.join(home, 'calls.log'), 'utf8').trim().split('\n');

  beforeEach(() => {
    home = mkdtempSync(path.join(tmpdir(), 'tf-tartcli-'));
    tart = createTartCli({ bin: stub, home, logger: silentLogger, defaultTimeoutMs: 20_000 });
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('passes arguments as an array and parses version and list output', async () => {
    scenario('version.stdout', '2.32.1\n');
    scenario('list.stdout', LIST_JSON);
    expect(await tart.version()).toBe('2.32.1');
    const vms = await tart.listAll();
    expect(vms).toEqual([
      { name: 'tf-mac-abc1', source: 'local', state: 'running', diskGb: 50 },
      { name: 'ghcr.io/cirruslabs/macos-tahoe-base:latest', source: 'oci', state: 'stopped', diskGb: 50 },
    ]);
    await tart.set('tf-mac-abc1', { cpu: 4, memoryMb: 8192, randomMac: true });
    expect(calls()).toEqual(['--version', 'list --format json', 'set tf-mac-abc1 --cpu 4 --memory 8192 --random-mac']);
  });

  it('classifies tart failures by their text and keeps the first non-empty stderr line', async () => {
    scenario('delete.stderr', '\n  the specified VM "tf-mac-x1" does not exist\nmore\n');
    scenario('delete.exit', '2');
    const error = await tart.delete('tf-mac-x1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TartError);
    expect(error).toMatchObject({ kind: 'vm-missing', exitCode: 2, command: 'tart delete tf-mac-x1', detail: 'the specified VM "tf-mac-x1" does not exist' });

    scenario('stop.stderr', 'VM "tf-mac-x1" is not running\n');
    scenario('stop.exit', '2');
    await expect(tart.stop('tf-mac-x1', 5)).rejects.toMatchObject({ kind: 'not-running', exitCode: 2 });

    scenario('clone.stdout', 'Error: UnexpectedHTTPStatusCode(when: "pulling manifest", code: 404)\n');
    scenario('clone.exit', '1');
    await expect(tart.clone('ghcr.io/x/y:1', 'tf-mac-x1')).rejects.toMatchObject({ kind: 'other', detail: 'Error: UnexpectedHTTPStatusCode(when: "pulling manifest", code: 404)' });
  });

  it('reports a missing binary as not-installed', async () => {
    const missing = createTartCli({ bin: path.join(home, 'no-such-tart'), home, logger: silentLogger });
    await expect(missing.version()).rejects.toMatchObject({ kind: 'not-installed' });
    const handle = missing.run('tf-mac-x1', { logFile: path.join(home, 'run.log') });
    expect((await handle.exited).error?.kind).toBe('not-installed');
  });

  it('kills a call that outlives its timeout and honours the abort signal', async () => {
    scenario('ip.sleep', '30');
    const started = Date.now();
    await expect(tart.ip('tf-mac-x1', 0, { timeoutMs: 500 })).rejects.toMatchObject({ kind: 'timeout' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(tart.ip('tf-mac-x1', 0, { signal: controller.signal })).rejects.toMatchObject({ kind: 'canceled' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('stopAndDelete retries delete while tart still sees the VM running', async () => {
    scenario('delete.seq', '');
    scenario('delete.1.stderr', 'VM "tf-mac-x1" is running\n');
    scenario('delete.1.exit', '1');
    scenario('delete.2.stderr', 'VM "tf-mac-x1" is running\n');
    scenario('delete.2.exit', '1');
    scenario('delete.3.exit', '0');
    await tart.stopAndDelete('tf-mac-x1', { stopTimeoutSeconds: 5, deadlineMs: 10_000 });
    expect(calls()).toEqual(['stop tf-mac-x1 --timeout 5', 'delete tf-mac-x1', 'delete tf-mac-x1', 'delete tf-mac-x1']);
  });

  it('stopAndDelete calls onStopFailed when stop hangs, then deletes', async () => {
    scenario('stop.sleep', '30');
    const failures: string[] = [];
    await tart.stopAndDelete('tf-mac-x1', { stopTimeoutSeconds: 0, deadlineMs: 1_500, onStopFailed: (e) => void failures.push(e.kind) });
    expect(failures).toEqual(['timeout']);
    expect(calls().at(-1)).toBe('delete tf-mac-x1');
  });

  it('stopAndDelete treats a VM that is already gone as done', async () => {
    scenario('stop.stderr', 'the specified VM "tf-mac-x1" does not exist\n');
    scenario('stop.exit', '2');
    await tart.stopAndDelete('tf-mac-x1', { stopTimeoutSeconds: 5, deadlineMs: 5_000 });
    expect(calls()).toEqual(['stop tf-mac-x1 --timeout 5']);
  });

  it('runs tart run in the background with output in the log file and reports how it ended', async () => {
    scenario('run.sleep', '0.3');
    scenario('run.stderr', 'The number of VMs exceeds the system limit (other running VMs: a, b)\n');
    scenario('run.exit', '1');
    const logFile = path.join(home, 'run.log');
    const handle = tart.run('tf-mac-x1', { logFile });
    expect(handle.pid).toBeGreaterThan(0);
    const exit = await handle.exited;
    expect(exit.exitCode).toBe(1);
    expect(exit.error).toMatchObject({ kind: 'vm-limit', command: 'tart run --no-graphics --net-softnet tf-mac-x1' });
    expect(readFileSync(logFile, 'utf8')).toContain('exceeds the system limit');
  });

  it("runs each VM with its pool's networking: Softnet by default, allow/block as configured, NAT only when asked", async () => {
    scenario('run.exit', '0');
    const config = agentConfigSchema.parse({
      hostId: 'h',
      secrets: ['s'.repeat(32)],
      tart: { bin: stub, home },
      stateDir: home,
      pools: [
        { name: 'mac', image: 'base', labels: ['macos'] },
        { name: 'lan', image: 'base', labels: ['lan'], network: { mode: 'softnet', allow: ['10.0.5.20/32'], block: ['@host'] } },
        { name: 'dev', image: 'base', labels: ['dev'], network: { mode: 'nat' } },
      ],
    });
    const pooled = createTartForConfig(config, silentLogger, systemClock);
    for (const name of ['tf-mac-a1', 'tf-lan-b2', 'tf-dev-c3', 'smoke-vm']) await pooled.run(name, { logFile: path.join(home, 'run.log') }).exited;
    expect(calls()).toEqual([
      'run --no-graphics --net-softnet tf-mac-a1',
      'run --no-graphics --net-softnet --net-softnet-allow=10.0.5.20/32 --net-softnet-block=@host tf-lan-b2',
      'run --no-graphics tf-dev-c3',
      'run --no-graphics --net-softnet smoke-vm',
    ]);
  });

  it('refuses a softnet target that is not an IPv4 CIDR or @host, naming the pool field', () => {
    const parse = (allow: string[]) =>
      agentConfigSchema.safeParse({ hostId: 'h', secrets: ['s'.repeat(32)], stateDir: home, pools: [{ name: 'mac', image: 'base', labels: ['macos'], network: { mode: 'softnet', allow } }] });
    expect(parse(['10.0.0.0/8', '@host']).success).toBe(true);
    for (const bad of ['10.0.0.1', '10.0.0.0/33', '256.0.0.0/8', 'lan', '::1/128']) {
      const result = parse([bad]);
      expect(result.success, bad).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain('softnet targets are IPv4 CIDRs like 10.0.0.0/8, or @host for this host');
      expect(result.error?.issues[0]?.path).toEqual(['pools', 0, 'network', 'allow', 0]);
    }
  });

  it('kill() ends a running tart run', async () => {
    scenario('run.sleep', '60');
    const handle = tart.run('tf-mac-x1', { logFile: path.join(home, 'run.log') });
    handle.kill('SIGKILL');
    const exit = await handle.exited;
    expect(exit.signal).toBe('SIGKILL');
  });
});
