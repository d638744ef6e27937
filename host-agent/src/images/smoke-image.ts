/**
 * Smoke test of an image: clone it into a throw-away VM, boot it, SSH in, run the image's own check
 * script (`~/.tartfleet/smoke-test.sh`: runner installed, guest scripts present, power-off allowed)
 * and tear the VM down on every path. The VM name `tfsmoke-<id>` does not parse as a runner name, so
 * the lifecycle's reconciler never takes it for an orphan of its own; the image service deletes
 * leftovers of a crashed agent at start.
 */
import { randomBytes } from 'node:crypto';
import { imageMetadataSchema, type ImageMetadata, type SmokeResult } from '../../../core/agent-api/contract';
import { withDeadline } from '../../../core/deadline';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import type { AgentConfig } from '../config/schema';
import type { RemoteSession } from '../ssh/remote-shell';
import type { TartRunHandle } from '../tart/tart-cli';
import { bootVm, destroyVm, type VmDeps } from '../vm/vm-session';
import { retainSmokeLog } from './smoke-log-retention';

/** What the image runs; the Packer template installs it beside the bootstrap. */
export const SMOKE_COMMAND = '"$HOME/.tartfleet/smoke-test.sh"';
export const SMOKE_VM_PREFIX = 'tfsmoke-';
const MAX_OUTPUT_LINES = 200;

export interface SmokeDeps {
  config: Pick<AgentConfig, 'images'>;
  /** The VM session every smoke VM runs on (clone, boot, SSH, teardown). */
  vm: VmDeps;
  logger: Logger;
  /** Where `tart run` of the smoke VM writes its output. */
  logFileOf: (vm: string) => string;
}

/**
 * A new image's host key is not pinned yet (its fingerprint is what the smoke test reports), so the
 * throw-away smoke VM, which receives no secret, is reached without the pin; the key it presents is
 * then checked against the image's own metadata below.
 */
function unpinned(vm: VmDeps): VmDeps {
  return { ...vm, config: { ...vm.config, ssh: { ...vm.config.ssh, hostKeyPolicy: 'accept-new' } } };
}

/** Runs one smoke test; never throws: every failure is `ok: false` with the reason in `output`. */
export async function smokeImage(deps: SmokeDeps, image: string): Promise<SmokeResult> {
  const { clock } = deps.vm;
  const started = clock.now();
  const name = `${SMOKE_VM_PREFIX}${randomBytes(5).toString('hex')}`;
  const log = deps.logger.child({ smoke: name, image });
  const lines: string[] = [];
  const note = (line: string): void => {
    lines.push(line);
    if (lines.length > MAX_OUTPUT_LINES) lines.shift();
  };
  const timeoutMs = deps.config.images.smokeTimeoutMs;
  let run: TartRunHandle | undefined;
  let session: RemoteSession | undefined;
  let ok = false;
  let metadata: ImageMetadata | undefined;
  let hostKeyFingerprint: string | undefined;
  try {
    await withDeadline(clock, `smoke test of ${image}`, timeoutMs, undefined, async (signal) => {
      const vm = await bootVm(unpinned(deps.vm), { name, image, logFile: deps.logFileOf(name) }, signal, { started: (handle) => (run = handle) });
      session = vm.session;
      hostKeyFingerprint = session.hostKeyFingerprint;
      const onLine = (line: string): void => {
        if (line.startsWith(METADATA_PREFIX)) metadata = parseMetadata(line.slice(METADATA_PREFIX.length), note);
        else note(line);
      };
      // The VM powering off or dying ends the test at once, with the reason.
      const result = await withDeadline(clock, 'smoke command', timeoutMs, AbortSignal.any([signal, vm.stopped]), (s) => vm.session.exec(SMOKE_COMMAND, { onLine, signal: s }));
      ok = result.exitCode === 0;
      if (!ok) note(`smoke: ${SMOKE_COMMAND} exited ${result.exitCode ?? result.signal}`);
      // The fingerprint recorded when the image was built must be the key its VMs present: anything
      // else is an image that was tampered with or rebuilt without its metadata.
      const pinned = metadata?.sshHostKeyFingerprint;
      if (pinned && pinned !== hostKeyFingerprint) {
        ok = false;
        note(`smoke: the image metadata records SSH host key ${pinned}, but the VM presented ${hostKeyFingerprint}`);
      }
    });
  } catch (error: unknown) {
    ok = false;
    note(`smoke: ${errorMessage(error).replace(/^the VM stopped/, 'the smoke VM stopped')}`);
  } finally {
    (session as RemoteSession | undefined)?.close();
    try {
      // A failed smoke VM's console log stays for whoever investigates (capped in size and count); a passed one's goes.
      await destroyVm({ ...deps.vm, stopTimeoutSeconds: 0 }, { name, run, logFile: deps.logFileOf(name) }, { keepLog: !ok });
      if (!ok) await retainSmokeLog(deps.logFileOf(name), { prefix: SMOKE_VM_PREFIX }).catch((error: unknown) => log.warn({ err: errorMessage(error) }, 'could not prune the logs of failed smoke tests'));
    } catch (error: unknown) {
      log.warn({ err: errorMessage(error) }, 'could not delete the smoke VM; the next agent start deletes it');
    }
  }
  const seconds = (clock.now() - started) / 1000;
  log.info({ ok, seconds }, 'smoke test done');
  return { image, ok, output: lines.join('\n'), seconds, ...(metadata ? { metadata } : {}), ...(hostKeyFingerprint ? { hostKeyFingerprint } : {}) };
}

const METADATA_PREFIX = 'image-metadata: ';

/** The metadata line of smoke-test.sh; a malformed one is reported, not fatal (older images). */
function parseMetadata(json: string, note: (line: string) => void): ImageMetadata | undefined {
  try {
    const parsed = imageMetadataSchema.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data;
    note(`smoke: image metadata ignored: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  } catch (error: unknown) {
    note(`smoke: image metadata is not JSON (${errorMessage(error)})`);
  }
  return undefined;
}
