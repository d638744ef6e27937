/**
 * Runs test/helpers/harness/agent-child.ts as a real process (bundled once with esbuild),
 * so tests can kill -9 it and start another on the same state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './sim-env';
import { waitFor } from './wait-for';

let bundle: Promise<string> | undefined;

/** Builds the harness bundle once per test process. */
export function harnessBundle(): Promise<string> {
  bundle ??= (async () => {
    const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'tf-harness-')), 'agent-child.mjs');
    await build({
      entryPoints: [path.join(repoRoot, 'test/helpers/harness/agent-child.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // ssh2 reads __dirname at load time: an ESM bundle must define it (and require) itself.
      banner: {
        js: "import { createRequire as __r } from 'node:module'; import { fileURLToPath as __u } from 'node:url'; import { dirname as __d } from 'node:path'; const require = __r(import.meta.url); const __filename = __u(import.meta.url); const __dirname = __d(__filename);",
      },
      // ssh2's optional native addon: absent after a plain npm ci, and unbundleable when present.
      external: ['cpu-features', '*.node'],
      logLevel: 'warning',
    });
    return outfile;
  })();
  return bundle;
}

export interface AgentProcess {
  child: ChildProcess;
  events: Record<string, unknown>[];
  stderr(): string;
  send(command: Record<string, unknown>): void;
  waitEvent(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

const started = new Set<ChildProcess>();

/** Starts the harness with `setup` ({config, timing}). */
export async function startAgentProcess(setup: { config: unknown; timing?: Record<string, number> }): Promise<AgentProcess> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tf-harness-setup-')), 'setup.json');
  writeFileSync(file, JSON.stringify(setup));
  const child = spawn(process.execPath, [await harnessBundle(), file], { stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(child);
  const events: Record<string, unknown>[] = [];
  let err = '';
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      events.push(JSON.parse(out.slice(0, i)) as Record<string, unknown>);
      out = out.slice(i + 1);
    }
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => started.delete(child));
  return {
    child,
    events,
    stderr: () => err,
    send: (command) => void child.stdin?.write(`${JSON.stringify(command)}\n`),
    waitEvent: (event, timeoutMs = 30_000) => waitFor(`agent event '${event}'`, () => events.find((e) => e.event === event), timeoutMs),
    exited,
  };
}

/** SIGKILLs every harness process still alive (afterEach). */
export async function killAgentProcesses(): Promise<void> {
  for (const child of started) {
    child.kill('SIGKILL');
    // Our ends of its pipes, too: a grandchild that inherited them (a VM's processes) would
    // otherwise keep this process alive after its last test.
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
  }
  started.clear();
}
