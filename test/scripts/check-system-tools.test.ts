import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/sim-env';

const script = path.join(repoRoot, 'scripts/check-system-tools.mjs');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A folder holding executables with these names (and nothing else). */
function toolDir(names: readonly string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tf-tools-'));
  dirs.push(dir);
  for (const name of names) {
    writeFileSync(path.join(dir, name), '#!/bin/sh\n');
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}

function check(env: Record<string, string>) {
  return spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('scripts/check-system-tools.mjs (run first by npm test)', () => {
  it('passes on this machine, where .ci/run installed the tools', () => {
    const r = check({});
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('stops at once with one message giving the exact apt-get command when it may not install', () => {
    const r = check({ TARTFLEET_TOOLS_PATH: toolDir([]), TARTFLEET_TOOLS_NO_INSTALL: '1' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\n {2}apt-get install -y --no-install-recommends openssh-client openssh-server nginx prometheus shellcheck packer iproute2 curl openssl systemd chromium pipx\n {2}pipx install cfn-lint\n$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(3);
  });

  it('names only what is missing', () => {
    const r = check({ TARTFLEET_TOOLS_PATH: toolDir(['ssh', 'sshd', 'nginx', 'shellcheck', 'packer', 'ip', 'curl', 'openssl', 'systemd-analyze', 'chromium', 'cfn-lint']), TARTFLEET_TOOLS_NO_INSTALL: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing system tools: promtool \(the metrics and alert-rule tests\)\. Install them with:\n {2}(sudo )?apt-get install -y --no-install-recommends prometheus\n$/);
  });

  it('installs cfn-lint through pipx, which is a Debian package itself', () => {
    const r = check({ TARTFLEET_TOOLS_PATH: toolDir(['ssh', 'sshd', 'nginx', 'promtool', 'shellcheck', 'packer', 'ip', 'curl', 'openssl', 'systemd-analyze', 'chromium']), TARTFLEET_TOOLS_NO_INSTALL: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing system tools: cfn-lint \(the AWS SAM template test \(test\/deploy\/\)\)\. Install them with:\n {2}(sudo )?apt-get install -y --no-install-recommends pipx\n {2}pipx install cfn-lint\n$/);
  });
});
