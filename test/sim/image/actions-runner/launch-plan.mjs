// What a launch of the runner stand-in's listener does instead of listening, for tests of run.sh's
// exit-code handling (test/sim/README.md, "Environment"). Node built-ins only: this folder is copied
// into simulated guests as it is.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** After a simulated self-update the relaunched listener reports the version it updated to. */
export const UPDATED_VERSION = '2.331.0';

/**
 * From TART_SIM_RUNNER_EXITS (one exit code per launch, comma-separated; later launches listen) and
 * TART_SIM_RUNNER_UPDATE_MS (a self-update of that duration: the first launch exits 4, like an
 * ephemeral runner that updated). Counts launches in `<root>/.sim-launches`. Undefined: listen.
 */
export function plannedExit(root, env) {
  const counter = path.join(root, '.sim-launches');
  const launch = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) || 0 : 0;
  writeFileSync(counter, String(launch + 1));
  const updateMs = Number(env.TART_SIM_RUNNER_UPDATE_MS ?? '');
  const list = env.TART_SIM_RUNNER_EXITS ?? (env.TART_SIM_RUNNER_UPDATE_MS ? '4' : '');
  const code = list.split(',').map((v) => v.trim()).filter(Boolean)[launch];
  if (code === undefined) return undefined;
  if (!/^\d{1,3}$/.test(code)) throw new Error(`TART_SIM_RUNNER_EXITS: expected comma-separated exit codes, got '${code}'`);
  return { code: Number(code), updateMs: Number.isFinite(updateMs) && updateMs > 0 ? updateMs : 0 };
}

/**
 * SelfUpdaterV2's console lines around a download of `updateMs`; like the real update script, a
 * detached process writes update.finished (in the working directory) once the listener is gone.
 */
export async function selfUpdate(root, out, { code, updateMs }) {
  out('Runner update in progress, do not shutdown runner.');
  out(`Downloading ${UPDATED_VERSION} runner`);
  await new Promise((resolve) => setTimeout(resolve, updateMs));
  out('Waiting for current job finish running.');
  out('Generate and execute update script.');
  writeFileSync(path.join(root, '.sim-updated'), UPDATED_VERSION);
  spawn('/bin/sh', ['-c', 'sleep 1; : > update.finished'], { detached: true, stdio: 'ignore' }).unref();
  out('Runner will exit shortly for update, should be back online within 10 seconds.');
  out('Runner update process finished.');
  return code;
}
