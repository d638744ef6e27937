import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the executables that tests start as real processes (the tart simulator, the fake GitHub,
 * the agent and dispatcher CLIs) once per test run, so every suite sees the current sources.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), 'sim', 'fake-github', 'agent', 'dispatcher'], {
    cwd: root,
    stdio: 'inherit',
  });
}
