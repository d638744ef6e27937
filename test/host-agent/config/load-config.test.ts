import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, toLog } from '../../../host-agent/src/config/load-config';

const SECRET = 'k'.repeat(48);
const PREVIOUS = 'p'.repeat(48);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tf-config-'));
  dirs.push(dir);
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const FINGERPRINT = `SHA256:${'k'.repeat(43)}`;
const SSH_LINE = `ssh: { hostKeyFingerprint: "${FINGERPRINT}" }\n`;
const YAML = `
hostId: mini-1
stateDir: /var/lib/tartfleet
listen:
  port: 8420
ssh: { hostKeyFingerprint: "${FINGERPRINT}" }
pools:
  - name: macos
    image: ghcr.io/org/tahoe-runner:2026.11
    labels: [macos, arm64]
`;

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads YAML, applies defaults and env overrides, and freezes the result', () => {
    const file = tempFile('agent.yaml', YAML);
    const config = loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_PORT: '9000', TART_BIN: '/opt/sim/tart', TART_HOME: '/tmp/th' } });
    expect(config).toMatchObject({ hostId: 'mini-1', secrets: [SECRET], listen: { host: '127.0.0.1', port: 9000 }, tart: { bin: '/opt/sim/tart', home: '/tmp/th' }, maxVms: 2 });
    expect(config.deadlines.cloneMs).toBe(120_000);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.pools[0])).toBe(true);
    expect(() => {
      (config.listen as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads JSON by extension and the file path from TARTFLEET_AGENT_CONFIG', () => {
    const file = tempFile('agent.json', JSON.stringify({ hostId: 'mini-2', stateDir: '/s', pools: [{ name: 'linux', os: 'linux', image: 'ubuntu', labels: ['linux'] }], maxVms: 4, ssh: { hostKeyFingerprint: FINGERPRINT } }));
    const config = loadConfig({ env: { TARTFLEET_AGENT_CONFIG: file, TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_SECRET_PREVIOUS: PREVIOUS } });
    expect(config.secrets).toEqual([SECRET, PREVIOUS]);
    expect(config.maxVms).toBe(4);
  });

  it('reads secrets from files named by *_FILE', () => {
    const file = tempFile('agent.yaml', YAML);
    const secretFile = tempFile('secret', `${SECRET}\n`);
    expect(loadConfig({ file, env: { TARTFLEET_AGENT_SECRET_FILE: secretFile } }).secrets).toEqual([SECRET]);
  });

  it('takes hostId from the host name when not configured', () => {
    const file = tempFile('agent.yaml', YAML.replace('hostId: mini-1\n', ''));
    expect(loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET }, hostname: 'Mac mini (3).local' }).hostId).toBe('Mac-mini--3-.local');
  });

  it('reports every problem at once, naming each field and where it came from', () => {
    const file = tempFile('agent.yaml', `
hostId: "bad host!"
stateDir: /s
maxVms: 3
listen: { port: 70000 }
ssh: { hostKeyPolicy: pinned }
pools:
  - name: "Mac OS"
    image: "tahoe; rm -rf /"
    labels: []
`);
    const problems = problemsOf(() => loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: 'short-secret-value', TARTFLEET_AGENT_MAX_VMS: 'lots', TART_HOME: '' } }));
    const text = problems.join('\n');
    expect(text).toContain("TARTFLEET_AGENT_MAX_VMS: expected a whole number, got 'lots'");
    expect(text).toMatch(/^hostId: .*got "bad host!"/m);
    expect(text).toMatch(/^listen\.port: .*65535/m);
    expect(text).toMatch(/^pools\[0\]\.name: pool must match/m);
    expect(text).toMatch(/^pools\[0\]\.image: image must be a local VM name or an OCI reference/m);
    expect(text).toMatch(/^pools\[0\]\.labels: /m);
    expect(text).toMatch(/^secrets\[0\] \(TARTFLEET_AGENT_SECRET .*\): agent secrets must be at least 32 characters$/m);
    expect(text).not.toContain('short-secret-value');
    expect(problems.length).toBeGreaterThanOrEqual(7);
  });

  it('applies the cross-field rules: macOS slot limit, pinned host key, unique pools', () => {
    const file = tempFile('agent.yaml', `${YAML.replace(SSH_LINE, '')}
  - name: macos
    image: other
    labels: [x]
`);
    const problems = problemsOf(() => loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_MAX_VMS: '3' } }));
    expect(problems).toEqual([
      "maxVms: at most 2 when a pool runs macOS (Apple's licence, enforced by Virtualization.framework), got 3",
      "ssh.hostKeyFingerprint: required when ssh.hostKeyPolicy is 'pinned' (the default): the SHA256:… of the image's host key, its metadata's sshHostKeyFingerprint; ssh.hostKeyPolicy 'accept-new' trusts any key and is for development only",
      "pools: pool names must be unique, 'macos' appears more than once",
    ]);
    // Spare clones: no more than the host's slots (no more runners can take one at once).
    const spares = tempFile('agent.yaml', YAML.replace('  - name: macos\n', '  - name: macos\n    spareClones: 3\n'));
    expect(problemsOf(() => loadConfig({ file: spares, env: { TARTFLEET_AGENT_SECRET: SECRET } }))).toEqual(["pools[0].spareClones: at most the host's 2 slot(s) (maxVms): no more runners can take one at once; got 3"]);
  });

  it('pins guest host keys by default: one fingerprint or several (a rollout), accept-new only when asked', () => {
    const env = { TARTFLEET_AGENT_SECRET: SECRET };
    expect(loadConfig({ file: tempFile('agent.yaml', YAML), env }).ssh).toMatchObject({ hostKeyPolicy: 'pinned', hostKeyFingerprint: FINGERPRINT });
    const two = YAML.replace(SSH_LINE, `ssh: { hostKeyFingerprint: ["${FINGERPRINT}", "SHA256:${'m'.repeat(43)}"] }\n`);
    expect(loadConfig({ file: tempFile('agent.yaml', two), env }).ssh.hostKeyFingerprint).toHaveLength(2);
    const dev = YAML.replace(SSH_LINE, 'ssh: { hostKeyPolicy: accept-new }\n');
    expect(loadConfig({ file: tempFile('agent.yaml', dev), env }).ssh).toMatchObject({ hostKeyPolicy: 'accept-new' });
    const bad = YAML.replace(SSH_LINE, 'ssh: { hostKeyFingerprint: "MD5:aa:bb" }\n');
    expect(problemsOf(() => loadConfig({ file: tempFile('agent.yaml', bad), env })).join('\n')).toContain('host key fingerprints look like SHA256: followed by 43 base64 characters');
  });

  it('refuses secrets in the file and explains where they go', () => {
    const file = tempFile('agent.yaml', `${YAML}secrets: ["${SECRET}"]\n`);
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems.join('\n')).toContain("'secrets' must not be in the config file; set TARTFLEET_AGENT_SECRET or TARTFLEET_AGENT_SECRET_FILE instead");
    expect(problems.join('\n')).toContain('secrets: set TARTFLEET_AGENT_SECRET');
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('reports a missing file, broken YAML and a non-mapping file by path', () => {
    expect(problemsOf(() => loadConfig({ file: '/nonexistent/agent.yaml', env: { TARTFLEET_AGENT_SECRET: SECRET } }))[0]).toBe('config file /nonexistent/agent.yaml: cannot be read (ENOENT)');
    const broken = tempFile('agent.yaml', 'pools: [\n');
    expect(problemsOf(() => loadConfig({ file: broken, env: { TARTFLEET_AGENT_SECRET: SECRET } }))[0]).toMatch(/^config file .*agent\.yaml: not valid YAML: /);
    const list = tempFile('agent.json', '[1,2]');
    expect(problemsOf(() => loadConfig({ file: list, env: { TARTFLEET_AGENT_SECRET: SECRET } }))[0]).toMatch(/expected a mapping of settings at the top level, got a list/);
  });

  it('validates the dispatcher callback: an http(s) URL, plain http only to loopback unless allowInsecure, naming field, expectation and value', () => {
    const load = (dispatcher: string) => loadConfig({ file: tempFile('agent.yaml', `${YAML}dispatcher: ${dispatcher}\n`), env: { TARTFLEET_AGENT_SECRET: SECRET } });
    expect(load('{ url: "https://dispatcher.example.com" }').dispatcher).toEqual({ url: 'https://dispatcher.example.com', timeoutMs: 5_000, allowInsecure: false });
    expect(load('{ url: "http://127.0.0.1:8787", timeoutMs: 2000 }').dispatcher).toMatchObject({ url: 'http://127.0.0.1:8787', timeoutMs: 2_000 });
    expect(load('{ url: "http://10.0.0.5:8787", allowInsecure: true }').dispatcher).toMatchObject({ allowInsecure: true });
    expect(problemsOf(() => load('{ url: "http://10.0.0.5:8787" }'))).toEqual([
      "dispatcher.url: expected https: for a non-loopback host (or dispatcher.allowInsecure: true on a trusted network), got plain http to '10.0.0.5'",
    ]);
    expect(problemsOf(() => load('{ url: "ftp://d.example.com" }'))).toEqual(["dispatcher.url: expected an https: (or http:) URL like https://dispatcher.example.com, got the scheme 'ftp:'"]);
    expect(problemsOf(() => load('{ url: "dispatcher.example.com" }'))).toEqual(["dispatcher.url: expected an absolute http(s) URL like https://dispatcher.example.com, got 'dispatcher.example.com'"]);
    expect(problemsOf(() => load('{ url: "https://u:p@d.example.com" }'))).toEqual(['dispatcher.url: expected a URL without user info, query or fragment like https://dispatcher.example.com, got one with user info']);
    expect(problemsOf(() => load('{ url: "https://d.example.com", timeoutMs: 0 }'))[0]).toMatch(/^dispatcher\.timeoutMs: .*100.*, got 0$/);
    expect(problemsOf(() => load('{ url: "https://d.example.com", retries: 3 }'))[0]).toMatch(/^dispatcher: .*retries/);
    expect(loadConfig({ file: tempFile('agent.yaml', YAML), env: { TARTFLEET_AGENT_SECRET: SECRET } }).dispatcher).toBeUndefined();
  });

  it('toLog redacts secrets and passwords but keeps the rest', () => {
    const file = tempFile('agent.yaml', YAML);
    const config = loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_SECRET_PREVIOUS: PREVIOUS, TARTFLEET_SSH_PASSWORD: 'guest-pw-123' } });
    expect(config.ssh.password).toBe('guest-pw-123');
    const logged = JSON.stringify(toLog(config));
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(PREVIOUS);
    expect(logged).not.toContain('guest-pw-123');
    expect(toLog(config)).toMatchObject({ hostId: 'mini-1', secrets: ['[redacted]', '[redacted]'], ssh: { password: '[redacted]' } });
  });
});

describe('loadConfig: the admin scope', () => {
  const ADMIN = 'A'.repeat(48);
  const ADMIN_OLD = 'B'.repeat(48);

  it('reads the admin secret and its previous one, from the variable or a file, apart from the runner secret', () => {
    const file = tempFile('agent.yaml', YAML);
    const secretFile = tempFile('admin-secret', `${ADMIN}\n`);
    const config = loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_ADMIN_SECRET_FILE: secretFile, TARTFLEET_AGENT_ADMIN_SECRET_PREVIOUS: ADMIN_OLD } });
    expect(config.secrets).toEqual([SECRET]);
    expect(config.adminSecrets).toEqual([ADMIN, ADMIN_OLD]);
    expect(JSON.stringify(toLog(config))).not.toContain(ADMIN);
    expect(toLog(config)).toMatchObject({ adminSecrets: ['[redacted]', '[redacted]'] });
    expect(loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET } }).adminSecrets).toEqual([]);
  });

  it('names every admin secret mistake: reused runner secret, previous without current, too short, both forms, in the file', () => {
    const file = tempFile('agent.yaml', YAML);
    const reused = problemsOf(() => loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_ADMIN_SECRET: SECRET } }));
    expect(reused).toEqual([expect.stringContaining('TARTFLEET_AGENT_ADMIN_SECRET: must differ from TARTFLEET_AGENT_SECRET and its _PREVIOUS')]);
    expect(reused.join('\n')).not.toContain(SECRET);
    const orphan = problemsOf(() => loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_ADMIN_SECRET_PREVIOUS: ADMIN_OLD } }));
    expect(orphan).toEqual(['TARTFLEET_AGENT_ADMIN_SECRET_PREVIOUS is set but TARTFLEET_AGENT_ADMIN_SECRET is not; the current secret is required']);
    const short = problemsOf(() => loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_ADMIN_SECRET: 'short-admin' } }));
    expect(short.join('\n')).toMatch(/^adminSecrets\[0\] \(TARTFLEET_AGENT_ADMIN_SECRET .*\): agent admin secrets must be at least 32 characters$/m);
    expect(short.join('\n')).not.toContain('short-admin');
    const both = problemsOf(() => loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: SECRET, TARTFLEET_AGENT_ADMIN_SECRET: ADMIN, TARTFLEET_AGENT_ADMIN_SECRET_FILE: '/x' } }));
    expect(both).toEqual(['TARTFLEET_AGENT_ADMIN_SECRET and TARTFLEET_AGENT_ADMIN_SECRET_FILE are both set; set only one']);
    const inFile = tempFile('agent.yaml', `${YAML}adminSecrets: ["${ADMIN}"]\n`);
    expect(problemsOf(() => loadConfig({ file: inFile, env: { TARTFLEET_AGENT_SECRET: SECRET } }))).toEqual([
      `config file ${inFile}: 'adminSecrets' must not be in the config file; set TARTFLEET_AGENT_ADMIN_SECRET or TARTFLEET_AGENT_ADMIN_SECRET_FILE instead`,
    ]);
  });
});

describe('loadConfig for diagnostics', () => {
  it('accepts a missing secret when requireSecrets is false, still validating the rest', () => {
    const file = tempFile('agent.yaml', YAML);
    expect(loadConfig({ file, env: {}, requireSecrets: false }).secrets).toEqual([]);
    expect(problemsOf(() => loadConfig({ file, env: { TARTFLEET_AGENT_SECRET: 'short' }, requireSecrets: false }))[0]).toMatch(/at least 32 characters/);
  });
});
