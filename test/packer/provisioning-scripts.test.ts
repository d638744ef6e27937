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

const API = 'https://api.github.test/repos/actions/runner/releases';
const DOWNLOADS = 'https://github.test/actions/runner/releases/download';

/**
 * A runner release `version` whose tarball holds a fake Runner.Listener, described by a release
 * listing shaped like GitHub's `GET /repos/actions/runner/releases/{latest,tags/v…}` answer, whose notes
 * carry the checksum lines of actions/runner's release-note template. A curl shim serves both from
 * disk (no network) and logs every URL it was asked for.
 */
function runnerRelease(version: string, notes: (sha: string) => string = (sha) => `- actions-runner-osx-arm64-${version}.tar.gz <!-- BEGIN SHA osx-arm64 -->${sha}<!-- END SHA osx-arm64 -->`) {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  const content = path.join(dir, 'content');
  mkdirSync(home);
  mkdirSync(bin);
  mkdirSync(path.join(content, 'bin'), { recursive: true });
  shim(path.join(content, 'bin'), 'Runner.Listener', `echo "${version}"`);
  const tarball = path.join(dir, 'runner.tar.gz');
  spawnSync('tar', ['-czf', tarball, '-C', content, '.']);
  const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  const listing = path.join(dir, 'release.json');
  const body = ['## SHA-256 Checksums', '', '- actions-runner-linux-x64-x.tar.gz <!-- BEGIN SHA linux-x64 -->' + 'f'.repeat(64) + '<!-- END SHA linux-x64 -->', notes(sha256)].join('\r\n');
  writeFileSync(listing, JSON.stringify({ tag_name: `v${version}`, name: `v${version}`, published_at: '2026-11-20T10:00:00Z', body }, null, 2));
  const urls = path.join(dir, 'urls.log');
  shim(bin, 'curl', `out=""; url=""; while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; -H) shift ;; -*) ;; *) url="$1" ;; esac; shift; done
echo "$url" >> "${urls}"
case "$url" in ${API}/*) cp "${listing}" "$out" ;; ${DOWNLOADS}/v${version}/actions-runner-osx-arm64-${version}.tar.gz) cp "${tarball}" "$out" ;; *) echo "curl: (22) 404 $url" >&2; exit 22 ;; esac`);
  const run = (env: Record<string, string> = {}) =>
    runScript('install-runner.sh', { HOME: home, TF_RUNNER_RELEASES_API: API, TF_RUNNER_DOWNLOAD_BASE: DOWNLOADS, ...env }, bin);
  const requested = (): string[] => (existsSync(urls) ? readFileSync(urls, 'utf8').trim().split('\n') : []);
  return { home, sha256, run, requested, installed: () => existsSync(path.join(home, 'actions-runner/bin/Runner.Listener')) };
}

function runScript(name: string, env: Record<string, string>, bin: string) {
  return spawnSync('/bin/bash', [path.join(scripts, name)], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
  });
}

describe('install-runner.sh', () => {
  it('takes the newest release when none is pinned, checked against the checksum its notes publish', () => {
    const f = runnerRelease('2.336.0');
    const r = f.run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('2.336.0');
    expect(f.requested()).toEqual([`${API}/latest`, `${DOWNLOADS}/v2.336.0/actions-runner-osx-arm64-2.336.0.tar.gz`]);
    expect(f.installed()).toBe(true);
  });

  it('takes a pinned release, also when the listing escapes ">" as \\u003e and TF_RUNNER_SHA256 agrees', () => {
    const f = runnerRelease('2.330.0', (sha) => `- actions-runner-osx-arm64-2.330.0.tar.gz \u003c!-- BEGIN SHA osx-arm64 --\u003e${sha}\u003c!-- END SHA osx-arm64 --\u003e`);
    const r = f.run({ TF_RUNNER_VERSION: '2.330.0', TF_RUNNER_SHA256: f.sha256 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2.330.0');
    expect(f.requested()[0]).toBe(`${API}/tags/v2.330.0`);
    expect(f.installed()).toBe(true);
  });

  it('refuses a tarball whose SHA-256 differs from the published one, naming both sums, and unpacks nothing', () => {
    const wrong = 'a'.repeat(64);
    const f = runnerRelease('2.336.0', () => `<!-- BEGIN SHA osx-arm64 -->${wrong}<!-- END SHA osx-arm64 -->`);
    const r = f.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`expected ${wrong}, got ${f.sha256}`);
    expect(existsSync(path.join(f.home, 'actions-runner'))).toBe(false);
  });

  it('refuses a pinned checksum that contradicts the published one, before downloading', () => {
    const f = runnerRelease('2.336.0');
    const r = f.run({ TF_RUNNER_SHA256: 'b'.repeat(64) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`TF_RUNNER_SHA256 (${'b'.repeat(64)}) differs from the checksum runner v2.336.0 publishes (${f.sha256})`);
    expect(f.requested()).toEqual([`${API}/latest`]);
    expect(f.installed()).toBe(false);
  });

  it('fails clearly when the notes publish no osx-arm64 checksum and none is pinned; a pin is then used', () => {
    const f = runnerRelease('2.336.0', () => 'no checksums this time');
    const r = f.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('publish no SHA-256 for osx-arm64; set TF_RUNNER_SHA256');
    expect(f.installed()).toBe(false);
    expect(f.run({ TF_RUNNER_SHA256: f.sha256 }).status).toBe(0);
    expect(f.installed()).toBe(true);
  });

  it('rejects a malformed version or checksum before any request', () => {
    const f = runnerRelease('2.336.0');
    const version = f.run({ TF_RUNNER_VERSION: 'v2.336' });
    expect(version.status).toBe(64);
    expect(version.stderr).toContain("TF_RUNNER_VERSION must be empty, 'latest' or a release like 2.330.0, got 'v2.336'");
    const sha = f.run({ TF_RUNNER_SHA256: 'XYZ' });
    expect(sha.status).toBe(64);
    expect(sha.stderr).toContain('TF_RUNNER_SHA256 must be 64 lowercase hex characters');
    expect(f.requested()).toEqual([]);
  });

  it('refuses a listing that describes another version than the pinned one', () => {
    const f = runnerRelease('2.336.0');
    const r = f.run({ TF_RUNNER_VERSION: '2.330.0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('asked for runner 2.330.0, but');
    expect(f.installed()).toBe(false);
  });
});

describe('write-metadata.sh', () => {
  function metadataFixture(runnerVersion: string) {
    const dir = tempDir();
    const bin = path.join(dir, 'bin');
    const runnerDir = path.join(dir, 'actions-runner');
    mkdirSync(bin);
    mkdirSync(path.join(runnerDir, 'bin'), { recursive: true });
    shim(bin, 'xcodebuild', 'printf "Xcode 26.1\\nBuild version 17B55\\n"');
    shim(bin, 'sw_vers', 'echo 26.1');
    shim(bin, 'ssh-keygen', 'echo "256 SHA256:abcDEF123 root@guest (ED25519)"');
    shim(path.join(runnerDir, 'bin'), 'Runner.Listener', `echo "${runnerVersion}"`);
    const out = path.join(dir, 'meta/image.json');
    const run = (env: Record<string, string> = {}) => runScript('write-metadata.sh', { TF_METADATA_PATH: out, TF_RUNNER_DIR: runnerDir, TF_XCODE_VERSION: '26.1', TF_TEMPLATE_COMMIT: 'abc123', ...env }, bin);
    return { out, run };
  }

  it('records the installed runner version, the build date, and the host key fingerprint', () => {
    const f = metadataFixture('2.336.0');
    const r = f.run({ TF_BUILD_DATE: '2026-11-28T00:00:00Z' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(f.out, 'utf8'))).toEqual({
      schema: 1,
      runnerVersion: '2.336.0',
      xcodeVersion: '26.1',
      requestedXcodeVersion: '26.1',
      macosVersion: '26.1',
      buildDate: '2026-11-28T00:00:00Z',
      sshHostKeyFingerprint: 'SHA256:abcDEF123',
      templateCommit: 'abc123',
    });
  });

  it('dates the build now when no date is given, and fails when no runner is installed', () => {
    const f = metadataFixture('2.336.0');
    const before = Date.now();
    expect(f.run().status).toBe(0);
    const { buildDate } = JSON.parse(readFileSync(f.out, 'utf8')) as { buildDate: string };
    expect(buildDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(buildDate)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    const broken = metadataFixture('not a version');
    const r = broken.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--version to print a release like 2.330.0, got 'not a version'");
  });
});
