/**
 * deploy/node/: the systemd unit passes `systemd-analyze verify`; the launchd plist parses and its
 * command, with only the macOS paths swapped for shims, reads its secrets from the (shimmed) Keychain
 * and serves; the Dockerfile is parsed into its stages and instructions, and the runtime stage's
 * ENTRYPOINT + CMD run the one file it copies, from a folder outside the repository, to a healthy
 * /healthz (its HEALTHCHECK command). Every run uses deploy/node/dispatcher.yaml with only the
 * GitHub URL added.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as plist from 'plist';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeOptionsOf } from '../../bench/deployed-node-options';
import { parseConfig } from '../../dispatcher/src/config';
import { startProc } from '../../demo/src/proc';
import { repoRoot } from '../helpers/sim-env';
import { parseDockerfile } from './parse-dockerfile';

const run = promisify(execFile);
const dir = path.join(repoRoot, 'deploy/node');
const secrets = { GH_APP_KEY: 'not-used-before-the-first-github-call', WEBHOOK_SECRET: 'node-webhook-secret', AGENT_SECRET_1: 'agent-secret-0123456789abcdef0123456789' };
let tmp: string;
let configFile: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'tf-node-deploy-'));
  const doc = parseYaml(await readFile(path.join(dir, 'dispatcher.yaml'), 'utf8')) as { listen: { port: number } };
  // Port 0: a free port; nothing else changes.
  configFile = path.join(tmp, 'dispatcher.yaml');
  await writeFile(configFile, stringifyYaml({ ...doc, listen: { ...doc.listen, port: 0 } }));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Runs a dispatcher command line until it listens, then `check` against its URL. */
async function serveAndCheck<T>(cmd: string, args: string[], env: NodeJS.ProcessEnv, check: (url: string) => Promise<T>): Promise<T> {
  const proc = startProc(cmd, args, { env, cwd: tmp });
  try {
    const line = await proc.waitForLine(/"msg":"listening"/, 30_000);
    return await check((JSON.parse(line.input) as { url: string }).url);
  } finally {
    await proc.stop(5_000);
  }
}

describe('deploy/node', () => {
  it('dispatcher.yaml is a valid config once its secrets exist', async () => {
    const doc = parseYaml(await readFile(path.join(dir, 'dispatcher.yaml'), 'utf8')) as unknown;
    expect(() => parseConfig(doc, secrets)).not.toThrow();
    expect(() => parseConfig(doc, {})).toThrow(/WEBHOOK_SECRET/);
  });

  it('every template runs the dispatcher with the same small heap (the one bench:dispatcher measures)', async () => {
    const heap = nodeOptionsOf(await readFile(path.join(dir, 'tartfleet-dispatcher.service'), 'utf8'));
    expect(heap).toMatch(/--max-old-space-size=\d+/);
    const job = plist.parse(await readFile(path.join(dir, 'dev.tartfleet.dispatcher.plist'), 'utf8')) as { EnvironmentVariables?: Record<string, string> };
    expect(job.EnvironmentVariables?.NODE_OPTIONS).toBe(heap);
    expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8')).toContain(`ENV NODE_OPTIONS="${heap}"`);
  });

  it('the systemd unit passes systemd-analyze verify', async () => {
    const unit = await readFile(path.join(dir, 'tartfleet-dispatcher.service'), 'utf8');
    const execStart = /^ExecStart=(\S+) (\S+) serve --config (\S+)$/m.exec(unit);
    expect(execStart?.slice(1)).toEqual(['/usr/bin/node', '/opt/tartfleet/tartfleet-dispatcher.mjs', '/etc/tartfleet/dispatcher.yaml']);
    // verify checks that the ExecStart binary exists: use this machine's node wherever it lives.
    const copy = path.join(tmp, 'tartfleet-dispatcher.service');
    await writeFile(copy, unit.replace('ExecStart=/usr/bin/node', `ExecStart=${process.execPath}`));
    const { stdout, stderr } = await run('systemd-analyze', ['verify', copy]);
    expect(stdout + stderr).toBe('');
  });

  it('the launchd plist parses, and its command reads the Keychain and serves', async () => {
    const job = plist.parse(await readFile(path.join(dir, 'dev.tartfleet.dispatcher.plist'), 'utf8')) as { Label: string; ProgramArguments: string[]; KeepAlive: unknown };
    expect(job.Label).toBe('dev.tartfleet.dispatcher');
    const [shell, flag, script] = job.ProgramArguments;
    expect([shell, flag]).toEqual(['/bin/zsh', '-c']);
    // A Keychain stand-in answering `find-generic-password -s tartfleet-dispatcher -a NAME -w`.
    const security = path.join(tmp, 'security');
    await writeFile(security, `#!/bin/sh\n[ "$1 $2 $3" = "find-generic-password -s tartfleet-dispatcher" ] && [ "$6" = -w ] || exit 44\ncase "$5" in\n${Object.entries(secrets).map(([k, v]) => `  ${k}) echo '${v}' ;;`).join('\n')}\n  *) exit 44 ;;\nesac\n`);
    await chmod(security, 0o755);
    const bundle = path.join(repoRoot, 'build/dispatcher/tartfleet-dispatcher.mjs');
    const local = script!
      .replace('/usr/bin/security', security)
      .replace('/opt/homebrew/bin/node', process.execPath)
      .replace('/usr/local/lib/tartfleet/tartfleet-dispatcher.mjs', bundle)
      .replace('/usr/local/etc/tartfleet/dispatcher.yaml', configFile);
    expect(local).not.toMatch(/\/usr\/bin\/security|\/opt\/homebrew|\/usr\/local/);
    expect(await serveAndCheck('/bin/sh', ['-c', local], { PATH: '/usr/bin:/bin', HOME: tmp }, async (url) => (await fetch(`${url}/healthz`)).status)).toBe(200);
    // A secret missing from the Keychain stops the job with EX_CONFIG instead of starting half-configured.
    const missing = local.replace('AGENT_SECRET_1;', 'NOT_IN_KEYCHAIN;');
    const exit = await run('/bin/sh', ['-c', missing]).then(() => 0, (e: { code: number }) => e.code);
    expect(exit).toBe(78);
  });

  it('the Dockerfile copies the bundle and better-sqlite3 beside it, which serve and pass its HEALTHCHECK', async () => {
    const stages = parseDockerfile(await readFile(path.join(dir, 'Dockerfile'), 'utf8'));
    expect(stages.map((s) => s.from)).toEqual(['node:22-bookworm-slim AS build', 'node:22-bookworm-slim']);
    const [buildStage, runtime] = stages as [(typeof stages)[0], (typeof stages)[0]];
    expect(buildStage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual(['npm ci --no-audit --no-fund', 'node scripts/build.mjs dispatcher']);
    const copies = runtime.instructions.filter((i) => i.op === 'COPY').map((c) => /^--from=build \/src\/(\S+) (\S+)$/.exec(c.args)!.slice(1) as [string, string]);
    const [, dest] = copies[0]!;
    expect(copies.map(([src]) => src)).toEqual(['build/dispatcher/tartfleet-dispatcher.mjs', 'node_modules/better-sqlite3', 'node_modules/bindings', 'node_modules/file-uri-to-path']);
    expect(runtime.instructions.find((i) => i.op === 'USER')?.args).toBe('node');
    const entrypoint = JSON.parse(runtime.instructions.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(runtime.instructions.find((i) => i.op === 'CMD')!.args) as string[];
    const health = /^--interval=\S+ --timeout=\S+ CMD (\[.*\])$/.exec(runtime.instructions.find((i) => i.op === 'HEALTHCHECK')!.args)!;
    // The build stage's outputs, copied alone to where the image puts them (under tmp/image instead
    // of /), away from the repository's node_modules.
    const image = path.join(tmp, 'image');
    for (const [src, to] of copies) {
      expect(existsSync(path.join(repoRoot, src))).toBe(true);
      await cp(path.join(repoRoot, src), path.join(image, to), { recursive: true });
    }
    const app = path.join(image, dest);
    // The image's state directory for pending demand's SQLite file, moved under tmp too.
    const stateDir = /^STATE_DIRECTORY=(\S+)$/.exec(runtime.instructions.find((i) => i.op === 'ENV' && i.args.startsWith('STATE_DIRECTORY='))!.args)![1]!;
    const env = { STATE_DIRECTORY: path.join(image, stateDir) };
    const argv = [...entrypoint, ...cmd].map((a) => (a === dest ? app : a === '/etc/tartfleet/dispatcher.yaml' ? configFile : a));
    expect(argv[0]).toBe('node');
    const [, ...probe] = JSON.parse(health[1]!) as string[];
    await serveAndCheck(process.execPath, argv.slice(1), { PATH: process.env.PATH, ...secrets, ...env }, async (url) => {
      const local = probe.map((a) => a.replace('http://127.0.0.1:8430', url));
      expect(local).not.toEqual(probe);
      await expect(run(process.execPath, local)).resolves.toBeDefined();
    });
    expect(existsSync(path.join(env.STATE_DIRECTORY, 'pending-demand.sqlite'))).toBe(true);
  });
});
