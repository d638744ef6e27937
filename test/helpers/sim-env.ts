/**
 * A simulated host for lifecycle integration tests: a private TART_HOME with a base image built by
 * the tart simulator (guest scripts from packer/guest/, runner stand-in), a state dir, a fake GitHub
 * that mints JIT configs, and an agent config pointing at all of it. `close()` stops every VM.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentConfigSchema, type AgentConfig } from '../../host-agent/src/config/schema';
import { createTartCli, type TartCli } from '../../host-agent/src/tart/tart-cli';
import { silentLogger, type Logger } from '../../core/logger';
import { createFileJournal } from '../../host-agent/src/journal/journal';
import { createRunnerService, type LifecycleRunnerService } from '../../host-agent/src/lifecycle/runner-service';
import { createSsh2RemoteShell } from '../../host-agent/src/ssh/remote-shell';
import type { LifecycleObserver } from '../../host-agent/src/service';
import type { LifecycleTiming } from '../../host-agent/src/lifecycle/context';
import { startFakeGitHub, type RunningFakeGitHub } from '../fake-github/src';
import { probeLock } from '../sim/src/pid-lock';

/** The repository root (benchmarks bundle this file elsewhere and say where the root is). */
export const repoRoot = process.env.TARTFLEET_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const simBin = path.join(repoRoot, 'test/sim/bin/tart');

export interface SimEnv {
  root: string;
  tartHome: string;
  stateDir: string;
  /** A wrapper running the simulator with this env's settings. */
  tartBin: string;
  tart: TartCli;
  github: RunningFakeGitHub;
  /** Replaces the simulator's fault rules (read at every decision). */
  setFaults(rules: string): void;
  /** Mints a JIT config for `name` with `labels` in the fake GitHub. */
  mint(name: string, labels: string[]): Promise<string>;
  /** Runs the simulator directly (test setup and inspection). */
  simTart(args: string[]): string;
  config(overrides?: Record<string, unknown>): AgentConfig;
  /** The real lifecycle on this env: the tart driver, ssh2, a file journal in the config's stateDir. */
  service(options: { config: AgentConfig; logger: Logger; observer: LifecycleObserver; sshAttemptTimeoutMs?: number; timing?: Partial<LifecycleTiming> }): LifecycleRunnerService;
  close(): Promise<void>;
}

/** The SSH host key fingerprint of a simulated VM (the image's, kept by its clones), as the image metadata records it. */
export function simHostKeyFingerprint(tartHome: string, vm: string): string {
  return readFileSync(path.join(tartHome, 'vms', vm, 'guest', 'etc', 'ssh', 'ssh_host_ed25519_key.fingerprint'), 'utf8').trim();
}

/** Builds the environment; `bootMs` is the simulated boot time. */
export async function createSimEnv(options: { bootMs?: number; env?: Record<string, string> } = {}): Promise<SimEnv> {
  const root = mkdtempSync(path.join(tmpdir(), 'tf-core-'));
  const tartHome = path.join(root, 'tart');
  const stateDir = path.join(root, 'state');
  mkdirSync(tartHome);
  mkdirSync(path.join(tartHome, '.sim'), { recursive: true });
  const vars = { TART_SIM_BOOT_MS: String(options.bootMs ?? 600), TART_SIM_SHUTDOWN_MS: '100', TART_SIM_START_FAIL_MS: '200', ...options.env };
  const tartBin = path.join(root, 'tart-sim');
  writeFileSync(
    tartBin,
    `#!/bin/sh\n${Object.entries(vars).map(([k, v]) => `export ${k}='${v}'`).join('\n')}\nexec '${simBin}' "$@"\n`,
    { mode: 0o755 },
  );
  const simTart = (args: string[]): string => execFileSync(tartBin, args, { env: { ...process.env, TART_HOME: tartHome }, encoding: 'utf8' });
  simTart(['create', 'base', '--from-ipsw', 'latest']);
  const github = await startFakeGitHub({ jitKeyBits: 1024 });
  const tart = createTartCli({ bin: tartBin, home: tartHome, logger: silentLogger });
  return {
    root,
    tartHome,
    stateDir,
    tartBin,
    tart,
    github,
    simTart,
    setFaults(rules) {
      writeFileSync(path.join(tartHome, '.sim', 'faults'), rules);
    },
    async mint(name, labels) {
      const res = await fetch(`${github.url}/orgs/acme/actions/runners/generate-jitconfig`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
        body: JSON.stringify({ name, runner_group_id: 1, labels }),
      });
      if (res.status !== 201) throw new Error(`generate-jitconfig for ${name}: expected 201, got ${res.status} ${await res.text()}`);
      return ((await res.json()) as { encoded_jit_config: string }).encoded_jit_config;
    },
    service({ config, logger, observer, sshAttemptTimeoutMs, timing }) {
      return createRunnerService({
        config,
        tart,
        shell: createSsh2RemoteShell({ logger, ...(sshAttemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: sshAttemptTimeoutMs }) }),
        journal: createFileJournal({ stateDir: config.stateDir, logger }),
        observer,
        logger,
        version: '0.0.0-test',
        ...(timing === undefined ? {} : { timing }),
      });
    },
    config(overrides = {}) {
      return agentConfigSchema.parse({
        hostId: 'test-host',
        secrets: ['x'.repeat(32)],
        tart: { bin: tartBin, home: tartHome },
        stateDir,
        maxVms: 2,
        // No spare clone: these tests follow each runner's own clone of `base` (`tf-mac-<id>`) and
        // an empty host at the end; spare clones have their own tests (spare-clones*.test.ts).
        pools: [{ name: 'mac', image: 'base', labels: ['self-hosted', 'macos'], cpu: 4, memoryMb: 8192, spareClones: 0 }],
        // The base image's real host key, pinned as on a host (the simulator keeps it in every clone).
        ssh: { user: 'admin', password: 'admin', hostKeyFingerprint: simHostKeyFingerprint(tartHome, 'base') },
        deadlines: { cloneMs: 20_000, bootMs: 20_000, sshMs: 15_000, onlineMs: 20_000, jobMs: 60_000, teardownMs: 20_000 },
        reconcileIntervalMs: 60_000,
        ...overrides,
      });
    },
    async close() {
      await github.close().catch(() => undefined);
      // Stop every VM this env started (the simulator's run processes live in their own sessions).
      for (const dir of readVmNames(tartHome)) {
        try {
          // Only a live holder: a stale lock's pid may belong to another test's process by now.
          const owner = probeLock(path.join(tartHome, 'vms', dir, '.tart-sim-run.lock'));
          if (owner !== undefined) process.kill(owner.pid, 'SIGKILL');
        } catch {
          // Not running.
        }
      }
      // Guest processes of a just-killed VM, or a detached `tart delete`, may still be at work.
      for (let attempt = 1; ; attempt++) {
        try {
          rmSync(root, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
          return;
        } catch (error: unknown) {
          if (attempt >= 10) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    },
  };
}

function readVmNames(tartHome: string): string[] {
  try {
    return execFileSync('ls', [path.join(tartHome, 'vms')], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
