import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup } from '../../helpers/kill-group';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The binary under test: the simulator by default, real tart on a Mac with
 * `TART_CONTRACT_BIN=tart TART_CONTRACT_REAL=1` (sim-only cases, which need fault injection or the
 * simulator's images, are then not registered; `TART_CONTRACT_IMAGE` is the image to clone and
 * `TART_CONTRACT_CACHE` the OCI cache to share, default `~/.tart/cache`).
 */
export const tartBin = process.env.TART_CONTRACT_BIN ?? path.join(repoRoot, 'test', 'sim', 'bin', 'tart');
/** True when the suite runs against real tart. */
export const againstRealTart = process.env.TART_CONTRACT_REAL === '1';

/** Outcome of one finished tart invocation. */
export interface TartResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time, ms. */
  ms: number;
}

/** A `tart run` (or other long-lived invocation) in the background. */
export interface Background {
  proc: ChildProcess;
  /** Output so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process exits. */
  exited: Promise<TartResult>;
}

/**
 * One isolated TART_HOME and everything started in it. `cleanup()` SIGKILLs every process still
 * running (each in its own process group) and removes the directory, so a failing test leaks nothing.
 */
export class TartHarness {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly started = new Set<ChildProcess>();

  constructor(env: Record<string, string> = {}) {
    this.home = mkdtempSync(path.join(tmpdir(), 'tart-contract-'));
    if (againstRealTart) {
      // Every case gets a fresh TART_HOME, but real images are tens of GB: share the OCI cache.
      symlinkSync(process.env.TART_CONTRACT_CACHE ?? path.join(homedir(), '.tart', 'cache'), path.join(this.home, 'cache'));
    }
    this.env = { ...process.env, TART_HOME: this.home, TART_SIM_BOOT_MS: '300', ...env };
  }

  /** Starts tart in the background (own process group). */
  spawn(args: string[], env: Record<string, string> = {}): Background {
    const started = Date.now();
    const proc = spawn(tartBin, args, { env: { ...this.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.started.add(proc);
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<TartResult>((resolve) => {
      proc.on('close', (code, signal) => {
        this.started.delete(proc);
        resolve({ code, signal, stdout: out, stderr: err, ms: Date.now() - started });
      });
    });
    return { proc, stdout: () => out, stderr: () => err, exited };
  }

  /** Runs tart to completion. */
  tart(args: string[], env: Record<string, string> = {}): Promise<TartResult> {
    return this.spawn(args, env).exited;
  }

  /** Runs tart and fails the test with its output unless it exits 0. */
  async ok(args: string[], env: Record<string, string> = {}): Promise<TartResult> {
    const r = await this.tart(args, env);
    if (r.code !== 0) throw new Error(`tart ${args.join(' ')}: expected exit 0, got ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  /**
   * A base VM to clone from: `tart create --from-ipsw latest` on the simulator, or a clone of
   * `TART_CONTRACT_IMAGE` with real tart (creating from an IPSW takes an hour there).
   */
  async base(name = 'base', linux = false): Promise<string> {
    if (againstRealTart) {
      await this.ok(['clone', process.env.TART_CONTRACT_IMAGE ?? 'ghcr.io/cirruslabs/macos-tahoe-vanilla:latest', name]);
    } else {
      await this.ok(linux ? ['create', '--linux', name] : ['create', '--from-ipsw', 'latest', name]);
    }
    return name;
  }

  /** Starts `tart run --no-graphics <name>` and waits until `tart ip --wait` answers; returns the IP. */
  async boot(name: string, env: Record<string, string> = {}): Promise<{ run: Background; ip: string }> {
    const run = this.spawn(['run', '--no-graphics', name], env);
    const ip = await this.tart(['ip', '--wait', '60', name]);
    if (ip.code !== 0) throw new Error(`tart ip ${name}: ${ip.stderr} (run stderr: ${run.stderr()})`);
    return { run, ip: ip.stdout.trim() };
  }

  /** Kills everything still running and removes TART_HOME. */
  async cleanup(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const proc of this.started) {
      waits.push(new Promise((resolve) => proc.once('close', resolve)));
      killGroup(proc);
    }
    await Promise.race([Promise.all(waits), new Promise((resolve) => setTimeout(resolve, 5000))]);
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
