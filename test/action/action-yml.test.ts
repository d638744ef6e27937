/** action.yml against the code's constants, the published schema, and the bundle's contents. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { validateAction, validateWorkflow } from '@action-validator/core';
import { Inputs, Outputs } from '../../action-src/constants';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const actionYml = readFileSync(path.join(root, 'action.yml'), 'utf8');
const action = YAML.parse(actionYml) as {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: Record<string, string>;
};

describe('action.yml', () => {
  it('declares exactly the inputs and outputs the code reads and writes', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Inputs).sort());
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort());
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description.length, name).toBeGreaterThan(20);
  });

  it('runs on node24 with a post step that always runs', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/main.js', post: 'dist/post.js', 'post-if': 'always()' });
  });

  it('passes @action-validator (whose 0.6.0 schema predates node24: that one enum is the only complaint)', () => {
    const state = validateAction(actionYml);
    const paths = state.errors.flatMap((e) => ('states' in e && e.states ? e.states.flatMap((s) => s.errors.map((x) => ('path' in x ? x.path : ''))) : ['path' in e ? e.path : '']));
    expect(paths).toContain('/runs/using');
    // With `using` at a version the schema knows, the real CLI accepts the file as is.
    const dir = mkdtempSync(path.join(tmpdir(), 'tf-action-'));
    writeFileSync(path.join(dir, 'action.yml'), actionYml.replace('using: node24', 'using: node20'));
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules/@action-validator/cli/cli.mjs'), path.join(dir, 'action.yml')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('workflows pass @action-validator too', () => {
    const dir = path.join(root, '.github/workflows');
    for (const file of ['ci.yml', 'build-image.yml']) {
      expect(validateWorkflow(readFileSync(path.join(dir, file), 'utf8')).errors, file).toEqual([]);
    }
  });

  it('dist/ bundles hold no agent runtime (ssh2, execa, prom-client)', () => {
    for (const file of ['dist/main.js', 'dist/post.js']) {
      const text = readFileSync(path.join(root, file), 'utf8');
      expect(text, file).not.toMatch(/node_modules\/(ssh2|execa|prom-client)\//);
      expect(text, file).not.toMatch(/from ['"](ssh2|execa|prom-client)['"]/);
    }
  });
});
