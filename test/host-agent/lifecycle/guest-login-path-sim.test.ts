// Job steps get the image's login PATH: on the simulated guest, as on cirruslabs' images, Homebrew's
// directory is on PATH only for login shells (~/.zprofile), while the agent's bootstrap runs from a
// non-login SSH exec. A job step must still find a tool installed there.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestEnv } from '../../sim/src/guest-env';
import { runOneJob, useSimLifecycle } from '../../helpers/sim-lifecycle';

const sim = useSimLifecycle();

describe('guest login environment (simulator)', () => {
  it('a job step finds a tool that only the login PATH (Homebrew) has', async (ctx) => {
    const lc = await sim.start(ctx);
    const guest = path.join(lc.e.tartHome, 'vms', 'base', 'guest');
    const marker = `brew-tool-ran-${process.pid}`;
    writeFileSync(path.join(guest, 'opt/homebrew/bin/hello-brew'), `#!/bin/sh\necho "${marker} from $0"\n`, { mode: 0o755 });
    // The guest's non-login environment (what an SSH exec gets) does not find it; its login shell does.
    const guestShell = (command: string): string => {
      try {
        return execFileSync('/bin/bash', ['-c', command], { env: guestEnv(guest), cwd: guestEnv(guest).HOME, encoding: 'utf8' }).trim();
      } catch {
        return 'not found';
      }
    };
    expect(guestShell('command -v hello-brew')).toBe('not found');
    expect(guestShell("zsh -l -c 'command -v hello-brew'")).toBe(path.join(guest, 'opt/homebrew/bin/hello-brew'));

    const { done, jobId } = await runOneJob(lc, 'tf-mac-brew', { script: 'hello-brew && echo "HOMEBREW_PREFIX=$HOMEBREW_PREFIX"', durationMs: 200 }, 60_000);
    expect(done.failure).toBeUndefined();
    expect(done.jobResult).toBe('Succeeded');
    expect(lc.e.github.job(jobId)).toMatchObject({ conclusion: 'success' });
    // The clone's tool ran (the clone has its own guest root), with Homebrew's environment around it.
    expect(lc.logger.text()).toMatch(new RegExp(`${marker} from \\S*/tf-mac-brew/guest/opt/homebrew/bin/hello-brew`));
    expect(lc.logger.text()).toMatch(/HOMEBREW_PREFIX=\S*\/tf-mac-brew\/guest\/opt\/homebrew/);
  }, 90_000);
});
