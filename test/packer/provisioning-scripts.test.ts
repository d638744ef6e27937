/**
 * Runs the image's provisioning scripts for real on Linux, with the network and macOS-only tools
 * replaced by shims on PATH: the logic that protects the image (checksum before unpack, metadata)
 * is what is under test, not curl or sw_vers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scripts = path.join(root, 'packer/scripts');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tf-packer-'));
  dirs.push(d);
  return d;
}
function shim(binDir: string, name: string, body: string): void {
  writeFileSync(path.join(binDir, name), `#!/bin/bash\n${body}\n`);
  chmodSync(path.join(binDir, name), 0o755);
}

/** A runner tarball with a fake Runner.Listener, served by a curl shim that copies it to `-o`. */
function runnerFixture(): { home: string; bin: string; sha256: string } {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  const content = path.join(dir, 'content');
  mkdirSync(home);
  mkdirSync(bin);
  mkdirSync(path.join(content, 'bin'), { recursive: true });
  shim(path.join(content, 'bin'), 'Runner.Listener', 'echo "2.330.0"');
  const tarball = path.join(dir, 'runner.tar.gz');
  spawnSync('tar', ['-czf', tarball, '-C', content, '.']);
  shim(bin, 'curl', `out=""; while [ $# -gt 0 ]; do if [ "$1" = -o ]; then out="$2"; shift; fi; shift; done; cp "${tarball}" "$out"`);
  return { home, bin, sha256: createHash('sha256').update(readFileSync(tarball)).digest('hex') };
}

function runScript(name: string, env: Record<string, string>, bin: string) {
  return spawnSync('/bin/bash', [path.join(scripts, name)], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
  });
}

describe('install-runner.sh', () => {
  it('unpacks the runner when the SHA-256 matches', () => {
    const f = runnerFixture();
    const r = runScript('install-runner.sh', { HOME: f.home, TF_RUNNER_VERSION: '2.330.0', TF_RUNNER_SHA256: f.sha256 }, f.bin);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('2.330.0');
    expect(existsSync(path.join(f.home, 'actions-runner/bin/Runner.Listener'))).toBe(true);
  });

  it('refuses a tarball whose SHA-256 differs, naming both sums, and unpacks nothing', () => {
    const f = runnerFixture();
    const wrong = 'a'.repeat(64);
    const r = runScript('install-runner.sh', { HOME: f.home, TF_RUNNER_VERSION: '2.330.0', TF_RUNNER_SHA256: wrong }, f.bin);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`expected ${wrong}, got ${f.sha256}`);
    expect(existsSync(path.join(f.home, 'actions-runner'))).toBe(false);
  });

  it('fails clearly when the checksum is not given', () => {
    const f = runnerFixture();
    const r = runScript('install-runner.sh', { HOME: f.home, TF_RUNNER_VERSION: '2.330.0' }, f.bin);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('TF_RUNNER_SHA256');
  });
});

describe('write-metadata.sh', () => {
  it('writes the image metadata JSON with the host key fingerprint', () => {
    const dir = tempDir();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    shim(bin, 'xcodebuild', 'printf "Xcode 26.1\\nBuild version 17B55\\n"');
    shim(bin, 'sw_vers', 'echo 26.1');
    shim(bin, 'ssh-keygen', 'echo "256 SHA256:abcDEF123 root@guest (ED25519)"');
    const out = path.join(dir, 'meta/image.json');
    const r = runScript(
      'write-metadata.sh',
      { TF_METADATA_PATH: out, TF_RUNNER_VERSION: '2.330.0', TF_XCODE_VERSION: '26.1', TF_BUILD_DATE: '2026-11-28T00:00:00Z', TF_TEMPLATE_COMMIT: 'abc123' },
      bin,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      schema: 1,
      runnerVersion: '2.330.0',
      xcodeVersion: '26.1',
      requestedXcodeVersion: '26.1',
      macosVersion: '26.1',
      buildDate: '2026-11-28T00:00:00Z',
      sshHostKeyFingerprint: 'SHA256:abcDEF123',
      templateCommit: 'abc123',
    });
  });
});

describe('harden-sshd.sh', () => {
  const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7lYwT6rLk0r0y9m2m8Yh9y3Zc3pQ8y1rV6sJZkXG0x tartfleet-agent';
  function fixture() {
    const dir = tempDir();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    // sudo runs its command as is; sshd -t is recorded (the real one would check this machine's config).
    shim(bin, 'sudo', 'exec "$@"');
    shim(bin, 'sshd', `echo "$*" >>"${dir}/sshd.calls"`);
    const env = { TF_SSH_USER: 'admin', TF_GUEST_HOME: path.join(dir, 'home'), TF_SSHD_CONFIG_DIR: path.join(dir, 'sshd_config.d') };
    return { dir, bin, env };
  }

  it('installs the agent key as the only authorized key and turns passwords, keyboard-interactive and root logins off', () => {
    const { dir, bin, env } = fixture();
    const r = runScript('harden-sshd.sh', { ...env, TF_AGENT_SSH_PUBLIC_KEY: KEY }, bin);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'home/.ssh/authorized_keys'), 'utf8')).toBe(`${KEY}\n`);
    const conf = readFileSync(path.join(dir, 'sshd_config.d/000-tartfleet.conf'), 'utf8');
    for (const line of ['PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin no', 'AuthenticationMethods publickey']) {
      expect(conf.split('\n')).toContain(line);
    }
    expect(readFileSync(path.join(dir, 'sshd.calls'), 'utf8')).toBe('-t\n');
  });

  it('refuses to lock the image without a key, or with something that is not one key line', () => {
    const { dir, bin, env } = fixture();
    const none = runScript('harden-sshd.sh', env, bin);
    expect(none.status).toBe(64);
    expect(none.stderr).toContain("expected the agent's SSH public key in TF_AGENT_SSH_PUBLIC_KEY");
    const two = runScript('harden-sshd.sh', { ...env, TF_AGENT_SSH_PUBLIC_KEY: `${KEY}\n${KEY}` }, bin);
    expect(two.status).toBe(64);
    expect(two.stderr).toContain('expected one OpenSSH public key line');
    expect(existsSync(path.join(dir, 'sshd_config.d'))).toBe(false);
  });
});
