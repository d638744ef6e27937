import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as plist from 'plist';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../host-agent/src/cli/run-cli';
import { cliDeps } from '../../helpers/cli-helpers';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'tf-launchd-'));
  dirs.push(d);
  return d;
};

type Job = Record<string, unknown> & { ProgramArguments: string[]; EnvironmentVariables: Record<string, string> };

async function dryRun(args: string[], env: Record<string, string> = {}): Promise<{ job: Job; xml: string }> {
  const run = cliDeps(env);
  expect(await runCli(['install-launchd', '--dry-run', ...args], run.deps)).toBe(0);
  const xml = run.stdout();
  return { job: plist.parse(xml) as unknown as Job, xml };
}

describe('install-launchd', () => {
  it('prints a user LaunchAgent that parses as a plist with the keys launchd needs', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'agent.yaml');
    writeFileSync(config, 'drainTimeoutMs: 600000\ndeadlines: { teardownMs: 30000 }\n');
    const secret = 'S'.repeat(64);
    const { job, xml } = await dryRun(['--config', config], { TARTFLEET_AGENT_SECRET: secret });
    expect(job).toMatchObject({
      Label: 'dev.tartfleet.agent',
      RunAtLoad: true,
      KeepAlive: true,
      ExitTimeOut: 600 + 30 + 30,
      WorkingDirectory: '/Users/ci',
      StandardOutPath: '/Users/ci/Library/Logs/tartfleet/agent.log',
      StandardErrorPath: '/Users/ci/Library/Logs/tartfleet/agent.err.log',
    });
    expect(job.ProgramArguments).toEqual(['/opt/homebrew/bin/node', '/opt/tartfleet/build/host-agent/tartfleet-agent.mjs', 'serve', '--config', config]);
    expect(job.EnvironmentVariables).toEqual({
      PATH: '/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      HOME: '/Users/ci',
      NODE_ENV: 'production',
      TARTFLEET_AGENT_SECRET_FILE: '/Users/ci/.config/tartfleet/agent-secret',
      // launchd never rotates its log files: the agent caps the two it writes.
      TARTFLEET_AGENT_LOG_FILES: '/Users/ci/Library/Logs/tartfleet/agent.log:/Users/ci/Library/Logs/tartfleet/agent.err.log',
    });
    expect(job).not.toHaveProperty('UserName');
    expect(xml).not.toContain(secret);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist PUBLIC/);
  });

  it('prints a LaunchDaemon that runs as the given user', async () => {
    const { job } = await dryRun(['--daemon', '--user', 'runner', '--label', 'com.example.tf', '--secret-file', '/etc/tf/secret']);
    expect(job).toMatchObject({ Label: 'com.example.tf', UserName: 'runner', WorkingDirectory: '/Users/runner', StandardOutPath: '/Library/Logs/tartfleet/agent.log' });
    expect(job.EnvironmentVariables.TARTFLEET_AGENT_SECRET_FILE).toBe('/etc/tf/secret');
    expect(job.ExitTimeOut).toBe(3600 + 60 + 30);
  });

  it('with --keychain-service fetches the secret in a wrapper, keeping it out of the plist and argv', async () => {
    const { job } = await dryRun(['--keychain-service', 'tartfleet agent']);
    expect(job.ProgramArguments.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(job.ProgramArguments[2]).toContain('/usr/bin/security find-generic-password -s "$0" -w');
    expect(job.ProgramArguments.slice(3)).toEqual(['tartfleet agent', '/opt/homebrew/bin/node', '/opt/tartfleet/build/host-agent/tartfleet-agent.mjs', 'serve']);
    expect(job.EnvironmentVariables).not.toHaveProperty('TARTFLEET_AGENT_SECRET_FILE');
  });

  it('names the admin secret file and passes --insecure-http on when asked', async () => {
    const { job } = await dryRun(['--secret-file', '/etc/tf/secret', '--admin-secret-file', '/etc/tf/admin-secret', '--insecure-http']);
    expect(job.EnvironmentVariables).toMatchObject({ TARTFLEET_AGENT_SECRET_FILE: '/etc/tf/secret', TARTFLEET_AGENT_ADMIN_SECRET_FILE: '/etc/tf/admin-secret' });
    expect(job.ProgramArguments.slice(-2)).toEqual(['serve', '--insecure-http']);
    const keychain = await dryRun(['--keychain-service', 'tf']);
    expect(keychain.job.ProgramArguments[2]).toContain('find-generic-password -s "$0.admin" -w');
  });

  it('escapes XML in values', async () => {
    const { job } = await dryRun(['--agent-bin', '/opt/a&b/<agent>.mjs']);
    expect(job.ProgramArguments[1]).toBe('/opt/a&b/<agent>.mjs');
  });

  it('writes the plist and the log folder, and says how to load it', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'LaunchAgents', 'dev.tartfleet.agent.plist');
    const run = cliDeps({});
    expect(await runCli(['install-launchd', '--out', out, '--log-dir', path.join(dir, 'logs')], run.deps)).toBe(0);
    const job = plist.parse(readFileSync(out, 'utf8')) as unknown as Job;
    expect(job.Label).toBe('dev.tartfleet.agent');
    expect(statSync(path.join(dir, 'logs')).isDirectory()).toBe(true);
    expect(run.stdout()).toContain(`load it with: launchctl bootstrap gui/$(id -u) ${out}`);
    expect(run.stdout()).toContain('chmod 600');
  });

  it('rejects a hostile label or user', async () => {
    const run = cliDeps({});
    expect(await runCli(['install-launchd', '--dry-run', '--label', '../../evil'], run.deps)).toBe(1);
    expect(run.stderr()).toContain("--label must be a reverse-DNS name like dev.tartfleet.agent, got '../../evil'");
    const user = cliDeps({});
    expect(await runCli(['install-launchd', '--dry-run', '--daemon', '--user', 'a b'], user.deps)).toBe(1);
  });

  it('matches the checked-in example in deploy/launchd/', async () => {
    const example = readFileSync(path.resolve(__dirname, '../../../deploy/launchd/dev.tartfleet.agent.plist'), 'utf8');
    const { xml } = await dryRun(['--config', '/Users/ci/.config/tartfleet/agent.yaml']);
    expect(example).toBe(xml);
  });
});
