/**
 * The Packer templates cannot be built here (no macOS, and Debian's packer 1.6.6 predates
 * `required_plugins`), so these tests check what must hold by parsing them as HCL2, run the real
 * `packer fmt -check` and `shellcheck`, and execute the provisioning scripts whose logic matters
 * (checksum verification, metadata) with the macOS-only tools shimmed on PATH.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '@cdktf/hcl2json';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packerDir = path.join(root, 'packer');

type Block = Record<string, unknown>;
async function parseHcl(file: string): Promise<Record<string, Record<string, Block[]>>> {
  return (await parse(file, readFileSync(path.join(packerDir, file), 'utf8'))) as Record<string, Record<string, Block[]>>;
}
async function allVariables(): Promise<Record<string, Block>> {
  const vars: Record<string, Block> = {};
  for (const file of readdirSync(packerDir).filter((f) => f.endsWith('.pkr.hcl'))) {
    for (const [name, blocks] of Object.entries((await parseHcl(file)).variable ?? {})) vars[name] = blocks[0]!;
  }
  return vars;
}
function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return shellScripts(full);
    return entry.endsWith('.sh') ? [full] : [];
  });
}

describe('packer templates', () => {
  it('parse as HCL2 and pin the tart plugin', async () => {
    const runner = await parseHcl('runner.pkr.hcl');
    const plugins = JSON.stringify(runner.packer);
    expect(plugins).toContain('github.com/cirruslabs/tart');
    expect(plugins).toMatch(/>= 1\.\d+\.\d+/);
    expect(Object.keys(runner.source?.['tart-cli'] ?? {})).toEqual(['runner']);
  });

  it('type and describe every variable', async () => {
    const vars = await allVariables();
    expect(Object.keys(vars).length).toBeGreaterThan(10);
    for (const [name, v] of Object.entries(vars)) {
      expect(v.type, `variable ${name} has a type`).toBeTruthy();
      expect(String(v.description ?? ''), `variable ${name} has a description`).toMatch(/\w{3,}/);
    }
  });

  it('take the newest runner unless pinned, validate an optional checksum, and install through the checking script', async () => {
    const vars = await allVariables();
    expect(vars.runner_version).toMatchObject({ default: 'latest' });
    expect(JSON.stringify(vars.runner_version!.validation)).toContain('latest');
    expect(vars.runner_sha256).toMatchObject({ default: '' });
    expect(JSON.stringify(vars.runner_sha256!.validation)).toContain('[0-9a-f]{64}');
    const build = readFileSync(path.join(packerDir, 'runner.pkr.hcl'), 'utf8');
    expect(build).toContain('scripts/install-runner.sh');
    expect(build).toContain('TF_RUNNER_SHA256=${var.runner_sha256}');
  });

  it('install the guest scripts where the agent runs them, then clean up before the metadata', async () => {
    const runner = await parseHcl('runner.pkr.hcl');
    const build = (runner.build as unknown as Array<{ provisioner: Record<string, Block[]> }>)[0]!;
    const files = build.provisioner.file ?? [];
    expect(files).toContainEqual({ source: '${path.root}/guest/', destination: '/Users/${var.ssh_username}/.tartfleet' });
    expect(files.some((f) => f.direction === 'download' && String(f.source).endsWith('/.tartfleet/image.json'))).toBe(true);
    // HCL2 → JSON groups provisioners by type, so the run order is read from the source text.
    const text = readFileSync(path.join(packerDir, 'runner.pkr.hcl'), 'utf8');
    const order = ['install-runner.sh', '${path.root}/guest/', 'cleanup.sh', 'write-metadata.sh'].map((s) => text.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('put no credential in a default value', async () => {
    const vars = await allVariables();
    const credentialLike = /(ghp_|ghs_|gho_|github_pat_|-----BEGIN|AKIA[0-9A-Z]{12}|[A-Za-z0-9+/]{40,})/;
    for (const [name, v] of Object.entries(vars)) {
      const value = JSON.stringify(v.default ?? '');
      expect(value, `default of ${name}`).not.toMatch(credentialLike);
      if (/token|secret|private_key|api_key/i.test(name)) expect(v, `${name} has no default`).not.toHaveProperty('default');
    }
    // The only password default is the cirruslabs images' published admin/admin, marked sensitive.
    expect(vars.ssh_password?.sensitive).toBe(true);
  });

  it('are formatted (real packer fmt -check)', () => {
    const r = spawnSync('packer', ['fmt', '-check', '-diff', packerDir], { encoding: 'utf8' });
    expect(r.error, 'packer is installed (Debian package packer)').toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('ship shell scripts that pass shellcheck', () => {
    const scripts = shellScripts(packerDir);
    expect(scripts.length).toBeGreaterThanOrEqual(7);
    const r = spawnSync('shellcheck', ['--severity=style', ...scripts], { encoding: 'utf8' });
    expect(r.error, 'shellcheck is installed (Debian package shellcheck)').toBeUndefined();
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});

