import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** cfn-lint is a PyPI tool (not packaged for Debian): the test needs it and says how to get it. */
export const CFN_LINT_HINT = 'cfn-lint not found on PATH or in ~/.pyenv/shims or ~/.local/bin; install it with: pipx install cfn-lint (Debian 12: apt-get install pipx first; npm test does both as root)';

/** The cfn-lint executable, or undefined. */
export function findCfnLint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':'), path.join(homedir(), '.pyenv/shims'), path.join(homedir(), '.local/bin')].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, 'cfn-lint');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next folder
    }
  }
  return undefined;
}
