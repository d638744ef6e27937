import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../host-agent/src/metrics/create-metrics';
import { createFakeRunnerService } from '../../fakes/fake-runner-service';
import { parseArgv, UsageError } from '../../../host-agent/src/cli/parse-argv';
import { runCli } from '../../../host-agent/src/cli/run-cli';
import { AGENT_VERSION } from '../../../host-agent/src/cli/version';
import { cliDeps } from '../../helpers/cli-helpers';

describe('tartfleet-agent argv', () => {
  it('parses each command and its options', () => {
    expect(parseArgv([])).toEqual({ command: 'help' });
    expect(parseArgv(['--version'])).toEqual({ command: 'version' });
    expect(parseArgv(['serve', '--config', '/etc/a.yaml'])).toEqual({ command: 'serve', configFile: '/etc/a.yaml', insecureHttp: false });
    expect(parseArgv(['serve', '--insecure-http'])).toEqual({ command: 'serve', configFile: undefined, insecureHttp: true });
    expect(parseArgv(['doctor', '--json', '--config=/a.json'])).toEqual({ command: 'doctor', configFile: '/a.json', json: true });
    expect(parseArgv(['install-launchd', '--daemon', '--dry-run', '--user', 'ci', '--keychain-service', 'tf'])).toEqual({
      command: 'install-launchd',
      configFile: undefined,
      options: { daemon: true, dryRun: true, user: 'ci', keychainService: 'tf' },
    });
    expect(parseArgv(['doctor', '--help'])).toEqual({ command: 'help' });
  });

  it('names the unknown command or option and what was expected', () => {
    expect(() => parseArgv(['start'])).toThrow(new UsageError("tartfleet-agent: unknown command 'start'; expected serve, doctor, init, install-launchd, cache-config, --help or --version"));
    expect(() => parseArgv(['serve', '--port', '1'])).toThrow(/unknown option '--port'; expected one of: --config <value>/);
    expect(() => parseArgv(['serve', '--config'])).toThrow(/--config needs a value/);
    expect(() => parseArgv(['doctor', '--json=yes'])).toThrow(/--json takes no value/);
    expect(() => parseArgv(['install-launchd', '--agent', '--daemon'])).toThrow(/choose one of --agent/);
    expect(() => parseArgv(['doctor', 'extra'])).toThrow(/unexpected argument 'extra'/);
  });

  it('prints help and version and exits 0; usage errors exit 64 on stderr', async () => {
    const help = cliDeps({});
    expect(await runCli(['--help'], help.deps)).toBe(0);
    expect(help.stdout()).toContain('tartfleet-agent serve [--config <file>]');
    const version = cliDeps({});
    expect(await runCli(['--version'], version.deps)).toBe(0);
    expect(version.stdout()).toBe(`${AGENT_VERSION}\n`);
    expect(AGENT_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    const bad = cliDeps({});
    expect(await runCli(['frob'], bad.deps)).toBe(64);
    expect(bad.stderr()).toContain("unknown command 'frob'");
    expect(bad.stdout()).toBe('');
  });

  it('serve with an invalid config exits 78 listing every problem, without printing the secret', async () => {
    const secret = 'too-short-but-secret';
    const run = cliDeps({ TARTFLEET_AGENT_SECRET: secret, TARTFLEET_AGENT_PORT: 'http' });
    expect(await runCli(['serve', '--config', '/nonexistent/agent.yaml'], run.deps)).toBe(78);
    const text = run.stderr();
    expect(text).toContain('config file /nonexistent/agent.yaml: cannot be read (ENOENT)');
    expect(text).toContain("TARTFLEET_AGENT_PORT: expected a whole number, got 'http'");
    expect(text).toContain('at least 32 characters');
    expect(text).not.toContain(secret);
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A valid config listening on `host` (plain HTTP), a serve runtime that only records that it was
 * built, and a stop request that arrives as soon as the port is bound. */
function plainHttpServe(host: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tf-cli-listen-'));
  dirs.push(dir);
  const file = path.join(dir, 'agent.json');
  writeFileSync(file, JSON.stringify({ hostId: 'mini-1', stateDir: dir, listen: { host, port: 0 }, pools: [{ name: 'macos', image: 'base', labels: ['macOS'] }], ssh: { hostKeyFingerprint: 'SHA256:Xb6Qg4WH0cOqh3l2jVMJ3fC3w1Z1Nw0lC6e1jv5m6Wk' } }));
  const built: string[] = [];
  let listening: (url: string) => void = () => {};
  const stop = new Promise<string>((resolve) => (listening = () => resolve('SIGTERM')));
  const run = cliDeps(
    { TARTFLEET_AGENT_SECRET: 's'.repeat(32) },
    {
      buildServeRuntime: (config) => {
        built.push(config.hostId);
        const registry = new Registry();
        const fake = createFakeRunnerService();
        fake.service.shutdown = async () => {};
        return { service: fake.service, registry, metrics: createMetrics(registry, { hostId: config.hostId }) };
      },
      stopRequested: () => stop,
      onListening: (url) => listening(url),
    },
  );
  return { file, built, run };
}

describe('serve transport', () => {
  it('refuses plain HTTP on 0.0.0.0 with exit 78 (EX_CONFIG) and a fix, before touching the host', async () => {
    const s = plainHttpServe('0.0.0.0');
    expect(await runCli(['serve', '--config', s.file], s.run.deps)).toBe(78);
    expect(s.run.stderr()).toContain("listen.host is '0.0.0.0' (not loopback) and listen.tls is not set");
    expect(s.run.stderr()).toContain('--insecure-http');
    expect(s.built).toEqual([]);
  });

  it('serves plain HTTP on 0.0.0.0 when the operator passes --insecure-http', async () => {
    const s = plainHttpServe('0.0.0.0');
    expect(await runCli(['serve', '--insecure-http', '--config', s.file], s.run.deps)).toBe(0);
    expect(s.built).toEqual(['mini-1']);
  });

  it('serves plain HTTP on loopback without the flag', async () => {
    const s = plainHttpServe('127.0.0.1');
    expect(await runCli(['serve', '--config', s.file], s.run.deps)).toBe(0);
    expect(s.built).toEqual(['mini-1']);
  });
});
