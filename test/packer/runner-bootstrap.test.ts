import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesContaining } from '../helpers/files-containing';
import { startArgvSampler } from '../helpers/proc-scan';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(repo, 'packer/guest/runner-bootstrap.sh');

/** A throwaway guest: HOME with the bootstrap installed, a scripted run.sh and power shims on PATH. */
function makeGuest(root: string, runSh: string): { home: string; env: NodeJS.ProcessEnv } {
  const home = path.join(root, 'Users/admin');
  const shims = path.join(root, 'shims');
  mkdirSync(path.join(home, '.tartfleet'), { recursive: true });
  mkdirSync(path.join(home, 'actions-runner'), { recursive: true });
  mkdirSync(shims);
  writeFileSync(path.join(home, '.tartfleet/runner-bootstrap.sh'), readFileSync(script));
  chmodSync(path.join(home, '.tartfleet/runner-bootstrap.sh'), 0o755);
  writeFileSync(path.join(home, 'actions-runner/run.sh'), runSh, { mode: 0o755 });
  // Never the host's shutdown: these only record the request.
  writeFileSync(path.join(shims, 'sudo'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
  writeFileSync(path.join(shims, 'shutdown'), `#!/bin/sh\necho "$*" > "${root}/poweroff-requested"\n`, { mode: 0o755 });
  return { home, env: { HOME: home, PATH: `${shims}:/usr/bin:/bin` } };
}

function runBootstrap(home: string, env: NodeJS.ProcessEnv, stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/bash', ['-c', '"$HOME/.tartfleet/runner-bootstrap.sh"'], { cwd: home, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const JIT = Buffer.from(`{"jit":"secret-${Date.now()}-${Math.random()}"}`).toString('base64');

describe('packer/guest/runner-bootstrap.sh', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'tf-bootstrap-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is clean under shellcheck', () => {
    expect(() => execFileSync('shellcheck', [script])).not.toThrow();
  });

  it('hands the JIT config to run.sh only, writes .env, streams the console and powers off whatever the exit code', async () => {
    const runSh = `#!/bin/bash
# Compared by hash so the secret itself is in no file of the test guest either.
[ "$(printf '%s' "\${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" | sha256sum | cut -c1-64)" = "${createHash('sha256').update(JIT).digest('hex')}" ] && echo "jit: received" || echo "jit: MISSING"
# The supervising shell must not carry it in its environment.
tr '\\0' '\\n' < /proc/$PPID/environ | grep -q ACTIONS_RUNNER_INPUT_JITCONFIG && echo "parent env: LEAK" || echo "parent env: clean"
echo "env file: $(tr '\\n' ' ' < .env)"
echo "$(date -u '+%F %TZ'): Listening for Jobs"
sleep 0.5
echo "Job build completed with result: Failed"
exit 3
`;
    const { home, env } = makeGuest(root, runSh);
    writeFileSync(path.join(home, 'actions-runner/.env'), 'LANG=en_US.UTF-8\nCACHE_URL=old\n');
    const sampler = startArgvSampler(JIT);
    const result = await runBootstrap(home, env, `${JIT}\nCACHE_URL=http://127.0.0.1:3128\nFOO=bar baz\n`);
    const scan = sampler.stop();
    expect(result.stdout).toContain('jit: received');
    expect(result.stdout).toContain('parent env: clean');
    expect(result.stdout).toContain('env file: LANG=en_US.UTF-8 CACHE_URL=http://127.0.0.1:3128 FOO=bar baz ');
    expect(result.stdout).toMatch(/Listening for Jobs\n/);
    expect(result.stdout).toContain('Job build completed with result: Failed');
    expect(result.stdout).toContain('runner exited with code 3; powering the guest off');
    expect(readFileSync(path.join(root, 'poweroff-requested'), 'utf8').trim()).toBe('-h now');
    // The shim does not stop anything, so the script reports that the guest stayed up.
    expect(result.code).toBe(70);
    expect(scan.samples).toBeGreaterThan(5);
    expect(scan.hits).toEqual([]);
    expect(filesContaining(root, JIT)).toEqual([]);
  });

  it('refuses bad input without starting the runner or touching .env', async () => {
    const { home, env } = makeGuest(root, '#!/bin/bash\necho started > "$HOME/started"\n');
    writeFileSync(path.join(home, 'actions-runner/.env'), 'A=1\n');
    const empty = await runBootstrap(home, env, '\n');
    expect(empty.code).toBe(64);
    expect(empty.stderr).toMatch(/expected the JIT config \(base64\) on the first line of stdin, got an empty line/);
    const badEnv = await runBootstrap(home, env, `${JIT}\nA=2\nnot a pair\n`);
    expect(badEnv.code).toBe(64);
    expect(badEnv.stderr).toContain("stdin line 3 must be KEY=VALUE");
    const jitInEnv = await runBootstrap(home, env, `${JIT}\nACTIONS_RUNNER_INPUT_JITCONFIG=x\n`);
    expect(jitInEnv.code).toBe(64);
    const notBase64 = await runBootstrap(home, env, 'a b;c\n');
    expect(notBase64.code).toBe(64);
    expect(notBase64.stderr).not.toContain('a b;c');
    expect(readFileSync(path.join(home, 'actions-runner/.env'), 'utf8')).toBe('A=1\n');
    expect(existsSync(path.join(home, 'started'))).toBe(false);
    expect(existsSync(path.join(root, 'poweroff-requested'))).toBe(false);
  });

  it("writes the login shell's PATH and tool variables to .env, never other profile variables; stdin lines win", async () => {
    const runSh = '#!/bin/bash\necho "env file: $(tr \'\\n\' \' \' < .env)"\n';
    const { home, env } = makeGuest(root, runSh);
    const brew = path.join(root, 'opt/homebrew/bin');
    // A login shell that reads ~/.zprofile, as macOS zsh -l does; the bootstrap's own PATH lacks brew.
    writeFileSync(path.join(root, 'shims', 'zsh'), '#!/bin/sh\n[ "$1" = -l ] && . "$HOME/.zprofile"\nshift; shift; eval "$1"\n', { mode: 0o755 });
    writeFileSync(path.join(home, '.zprofile'), `export PATH="${brew}:$PATH" HOMEBREW_PREFIX="${path.dirname(brew)}" JAVA_HOME=/login/jdk GH_TOKEN=profile-secret\necho "profile chatter"\n`);
    const result = await runBootstrap(home, env, `${JIT}\nJAVA_HOME=/from/agent\n`);
    const dotEnv = readFileSync(path.join(home, 'actions-runner/.env'), 'utf8').split('\n').filter(Boolean);
    expect(dotEnv).toContain(`PATH=${brew}:${env.PATH}`);
    expect(dotEnv).toContain(`HOMEBREW_PREFIX=${path.dirname(brew)}`);
    expect(dotEnv).toContain('JAVA_HOME=/from/agent');
    expect(dotEnv.filter((l) => l.startsWith('JAVA_HOME='))).toHaveLength(1);
    expect(dotEnv.join('\n')).not.toContain('profile-secret');
    expect(dotEnv.join('\n')).not.toContain('chatter');
    expect(result.stdout).toContain(`PATH=${brew}:`);
  });

  it('when the login shell fails, says so and still starts the runner', async () => {
    const { home, env } = makeGuest(root, '#!/bin/bash\necho "runner ran"\n');
    writeFileSync(path.join(root, 'shims', 'zsh'), '#!/bin/sh\necho "PATH=/broken"\nexit 1\n', { mode: 0o755 });
    const result = await runBootstrap(home, env, `${JIT}\n`);
    expect(result.stdout).toContain('no login environment from zsh -l');
    expect(result.stdout).toContain('runner ran');
    expect(existsSync(path.join(home, 'actions-runner/.env'))).toBe(false);
  });

  it('does not wait for a login shell that hangs: the runner starts after the timeout without its values', async () => {
    const { home, env } = makeGuest(root, '#!/bin/bash\necho "runner ran"\n');
    writeFileSync(path.join(root, 'shims', 'zsh'), '#!/bin/sh\necho "PATH=/half-way"\nexec sleep 20\n', { mode: 0o755 });
    const started = Date.now();
    const result = await runBootstrap(home, { ...env, TARTFLEET_LOGIN_ENV_TIMEOUT: '1' }, `${JIT}\n`);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(result.stdout).toContain('no login environment from zsh -l');
    expect(result.stdout).toContain('runner ran');
    expect(existsSync(path.join(home, 'actions-runner/.env'))).toBe(false);
  });
});
