/**
 * Smoke test of an image: clone it into a throw-away VM, boot it, SSH in, run the image's own check
 * script (`~/.tartfleet/smoke-test.sh`: runner installed, guest scripts present, power-off allowed)
 * and tear the VM down on every path. The VM name `tfsmoke-<id>` does not parse as a runner name, so
 * the lifecycle's reconciler never takes it for an orphan of its own; the image service deletes
 * leftovers of a crashed agent at start.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { imageMetadataSchema, type ImageMetadata, type SmokeResult } from '../api/contract';
import type { AgentConfig } from '../config/schema';
import type { RemoteSession, RemoteShell } from '../ssh/remote-shell';
import type { TartCli, TartRunHandle } from '../tart/tart-cli';
import { waitForIp } from '../tart/wait-for-ip';
import type { Clock } from '../util/clock';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/logger';
import { guestConnectOptions } from '../ssh/guest-connect-options';

/** What the image runs; the Packer template installs it beside the bootstrap. */
export const SMOKE_COMMAND = '"$HOME/.tartfleet/smoke-test.sh"';
export const SMOKE_VM_PREFIX = 'tfsmoke-';
const MAX_OUTPUT_LINES = 200;

export interface SmokeDeps {
  config: Pick<AgentConfig, 'ssh' | 'images' | 'deadlines'>;
  tart: Pick<TartCli, 'clone' | 'set' | 'run' | 'ip' | 'stopAndDelete'>;
  shell: RemoteShell;
  clock: Clock;
  logger: Logger;
  sshPrivateKey?: string;
  /** Where `tart run` of the smoke VM writes its output. */
  logFileOf: (vm: string) => string;
}

/** Runs one smoke test; never throws: every failure is `ok: false` with the reason in `output`. */
export async function smokeImage(deps: SmokeDeps, image: string): Promise<SmokeResult> {
  const started = deps.clock.now();
  const name = `${SMOKE_VM_PREFIX}${randomBytes(5).toString('hex')}`;
  const log = deps.logger.child({ smoke: name, image });
  const lines: string[] = [];
  const note = (line: string): void => {
    lines.push(line);
    if (lines.length > MAX_OUTPUT_LINES) lines.shift();
  };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`smoke test of ${image} did not finish within ${deps.config.images.smokeTimeoutMs} ms`)), deps.config.images.smokeTimeoutMs);
  const signal = controller.signal;
  let run: TartRunHandle | undefined;
  let session: RemoteSession | undefined;
  let ok = false;
  let metadata: ImageMetadata | undefined;
  let hostKeyFingerprint: string | undefined;
  try {
    await deps.tart.clone(image, name, { signal, timeoutMs: deps.config.deadlines.cloneMs });
    await deps.tart.set(name, { randomMac: true }, { signal });
    run = deps.tart.run(name, { logFile: deps.logFileOf(name) });
    void run.exited.then((exit) => controller.abort(new Error(`the smoke VM stopped: ${exit.error?.detail ?? (exit.output.trim().split('\n').at(-1) || `tart run exited ${exit.exitCode ?? exit.signal}`)}`)));
    const ip = await waitForIp(deps.tart, deps.clock, name, signal);
    const { ssh } = deps.config;
    session = await deps.shell.connect(guestConnectOptions(ssh, { host: ip, privateKey: deps.sshPrivateKey, deadlineMs: deps.config.deadlines.sshMs, signal }));
    hostKeyFingerprint = session.hostKeyFingerprint;
    const onLine = (line: string): void => {
      if (line.startsWith(METADATA_PREFIX)) metadata = parseMetadata(line.slice(METADATA_PREFIX.length), note);
      else note(line);
    };
    const result = await raceAbort(session.exec(SMOKE_COMMAND, { onLine, signal }), signal);
    ok = result.exitCode === 0;
    if (!ok) note(`smoke: ${SMOKE_COMMAND} exited ${result.exitCode ?? result.signal}`);
    // The fingerprint recorded when the image was built must be the key its VMs present: anything
    // else is an image that was tampered with or rebuilt without its metadata.
    const pinned = metadata?.sshHostKeyFingerprint;
    if (pinned && pinned !== hostKeyFingerprint) {
      ok = false;
      note(`smoke: the image metadata records SSH host key ${pinned}, but the VM presented ${hostKeyFingerprint}`);
    }
  } catch (error: unknown) {
    note(`smoke: ${signal.aborted ? errorMessage(signal.reason) : errorMessage(error)}`);
  } finally {
    clearTimeout(timer);
    session?.close();
    try {
      await deps.tart.stopAndDelete(name, { stopTimeoutSeconds: 0, deadlineMs: deps.config.deadlines.teardownMs, onStopFailed: () => run?.kill('SIGKILL') });
    } catch (error: unknown) {
      log.warn({ err: errorMessage(error) }, 'could not delete the smoke VM; the next agent start deletes it');
    }
  }
  // A failed smoke VM's console log stays for whoever investigates; a passed one's goes.
  if (ok) rmSync(deps.logFileOf(name), { force: true });
  const seconds = (deps.clock.now() - started) / 1000;
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

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
