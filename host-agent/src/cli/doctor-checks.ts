/**
 * `doctor`'s checks of a host, each independent and each reporting ok / warn / fail / skip with a
 * detail line an operator can act on. tart is reached only through the TartCli driver, SSH only
 * through RemoteShell.
 */
import type { AgentConfig } from '../config/schema';
import type { RemoteShell } from '../ssh/remote-shell';
import type { TartCli } from '../tart/tart-cli';
import type { TartVm } from '../tart/parse-vm-list';
import { parseName } from '../../../core/names';
import { TartError } from '../tart/tart-error';
import { checkMirrorHealth } from '../cache/check-mirror-health';
import { errorMessage } from '../../../core/errors';
import { guestConnectOptions } from '../ssh/guest-connect-options';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Short name: `tart`, `disk`, `images`, `slots`, `ssh`. */
  name: string;
  status: CheckStatus;
  /** What was found, and what to do when it is not ok. */
  detail: string;
}

export interface DoctorDeps {
  config: Readonly<AgentConfig>;
  tart: TartCli;
  shell: RemoteShell;
  /** TART_HOME as tart will use it (config, else ~/.tart). */
  tartHome: string;
  /** Free bytes on the filesystem holding `path` (or its nearest existing parent). */
  freeBytes: (path: string) => Promise<number>;
  /** Reads the SSH private key file named in the config. */
  readFile: (path: string) => string;
  /** Deadline for the SSH probe. */
  sshTimeoutMs: number;
}

const GB = 1e9;
/** Assumed base image size when no pool image is present yet (the cirruslabs images are 50 GB disks). */
const DEFAULT_IMAGE_GB = 50;

const fmtGb = (bytes: number) => `${Math.floor(bytes / GB)} GB`;

function findImage(entries: readonly TartVm[], image: string): TartVm | undefined {
  return entries.find((e) => e.name === image);
}

async function checkTart(deps: DoctorDeps): Promise<CheckResult> {
  try {
    const version = await deps.tart.version({ timeoutMs: 15_000 });
    return { name: 'tart', status: 'ok', detail: `tart ${version} (${deps.config.tart.bin})` };
  } catch (error: unknown) {
    if (error instanceof TartError && error.kind === 'not-installed') {
      return { name: 'tart', status: 'fail', detail: `tart not found at '${deps.config.tart.bin}'; install it (brew install cirruslabs/cli/tart) or set TART_BIN` };
    }
    return { name: 'tart', status: 'fail', detail: `tart --version failed: ${errorMessage(error)}` };
  }
}

function checkImages(deps: DoctorDeps, entries: readonly TartVm[]): CheckResult {
  const missing: string[] = [];
  const notPulled: string[] = [];
  const present: string[] = [];
  for (const pool of deps.config.pools) {
    if (findImage(entries, pool.image)) present.push(`${pool.name}: ${pool.image}`);
    else if (pool.image.includes('/')) notPulled.push(`${pool.name}: ${pool.image}`);
    else missing.push(`${pool.name}: ${pool.image}`);
  }
  if (missing.length > 0) return { name: 'images', status: 'fail', detail: `local base image missing (tart clone will fail): ${missing.join(', ')}` };
  if (notPulled.length > 0) return { name: 'images', status: 'warn', detail: `not pulled yet, the first runner will wait for the download: ${notPulled.join(', ')}; run tart pull <image>` };
  return { name: 'images', status: 'ok', detail: present.join(', ') };
}

async function checkDisk(deps: DoctorDeps, entries: readonly TartVm[]): Promise<CheckResult> {
  let free: number;
  try {
    free = await deps.freeBytes(deps.tartHome);
  } catch (error: unknown) {
    return { name: 'disk', status: 'fail', detail: `cannot read free space under ${deps.tartHome}: ${errorMessage(error)}` };
  }
  const sizes = deps.config.pools.map((p) => findImage(entries, p.image)?.diskGb).filter((s): s is number => s !== undefined);
  const largestGb = sizes.length > 0 ? Math.max(...sizes) : DEFAULT_IMAGE_GB;
  const basis = sizes.length > 0 ? `largest base image ${largestGb} GB` : `no base image present, assuming ${DEFAULT_IMAGE_GB} GB`;
  // A clone is copy-on-write, but a pull needs the full image and each guest may fill its disk.
  const worstCase = largestGb * deps.config.maxVms;
  const detail = `${fmtGb(free)} free under ${deps.tartHome}; ${basis}; ${deps.config.maxVms} slot(s) may grow to ${worstCase} GB`;
  if (free < largestGb * GB) return { name: 'disk', status: 'fail', detail: `${detail}; free space for at least one image` };
  if (free < worstCase * GB) return { name: 'disk', status: 'warn', detail };
  return { name: 'disk', status: 'ok', detail };
}

function checkSlots(deps: DoctorDeps, local: readonly TartVm[]): CheckResult {
  const running = local.filter((v) => v.state === 'running');
  const managed = running.filter((v) => parseName(v.name) !== undefined);
  const foreign = running.length - managed.length;
  const detail = `${running.length} VM(s) running (${managed.length} managed by tartfleet) for ${deps.config.maxVms} slot(s)`;
  if (running.length > deps.config.maxVms) return { name: 'slots', status: 'fail', detail: `${detail}: more than the slots; macOS allows 2 at once, so runners will fail to start` };
  if (foreign > 0) return { name: 'slots', status: 'warn', detail: `${detail}; ${foreign} VM(s) not started by the agent hold slots it counts on` };
  return { name: 'slots', status: 'ok', detail };
}

async function checkSsh(deps: DoctorDeps, local: readonly TartVm[]): Promise<CheckResult> {
  const running = local.filter((v) => v.state === 'running');
  const target = running.find((v) => parseName(v.name) !== undefined) ?? running[0];
  if (target === undefined) return { name: 'ssh', status: 'skip', detail: 'no VM is running to test SSH against; start one (tart run <image> &) and run doctor again' };
  const { ssh } = deps.config;
  const where = `${ssh.user}@${target.name}:${ssh.port}`;
  try {
    const ip = await deps.tart.ip(target.name, 10, { timeoutMs: 20_000 });
    const privateKey = ssh.privateKeyFile === undefined ? undefined : deps.readFile(ssh.privateKeyFile);
    const session = await deps.shell.connect(guestConnectOptions(ssh, { host: ip, privateKey, deadlineMs: deps.sshTimeoutMs }));
    try {
      const result = await session.exec('true');
      if (result.exitCode !== 0) return { name: 'ssh', status: 'fail', detail: `${where} (${ip}): connected, but 'true' exited ${result.exitCode}` };
      return { name: 'ssh', status: 'ok', detail: `${where} (${ip}): connected, host key ${session.hostKeyFingerprint}` };
    } finally {
      session.close();
    }
  } catch (error: unknown) {
    return { name: 'ssh', status: 'fail', detail: `${where}: ${errorMessage(error)}; check ssh.user/password/privateKeyFile and the image's Remote Login` };
  }
}

/** The host mirror, when one is configured: a mirror that is down slows jobs, so only a warning. */
async function checkMirror(deps: DoctorDeps): Promise<CheckResult[]> {
  if (deps.config.cache === undefined) return [];
  const health = await checkMirrorHealth(deps.config.cache);
  return [{ name: 'mirror', status: health.ok ? 'ok' : 'warn', detail: health.message }];
}

/** Run every check; checks that need tart are skipped when tart itself is unusable. */
export async function runDoctorChecks(deps: DoctorDeps): Promise<CheckResult[]> {
  return [...(await runTartChecks(deps)), ...(await checkMirror(deps))];
}

async function runTartChecks(deps: DoctorDeps): Promise<CheckResult[]> {
  const tart = await checkTart(deps);
  if (tart.status === 'fail') {
    const skip = (name: string): CheckResult => ({ name, status: 'skip', detail: 'needs a working tart' });
    return [tart, await checkDisk(deps, []), skip('images'), skip('slots'), skip('ssh')];
  }
  let all: TartVm[];
  try {
    all = await deps.tart.listAll({ timeoutMs: 30_000 });
  } catch (error: unknown) {
    const fail = (name: string): CheckResult => ({ name, status: 'fail', detail: `tart list failed: ${errorMessage(error)}` });
    return [tart, await checkDisk(deps, []), fail('images'), fail('slots'), { name: 'ssh', status: 'skip', detail: 'needs tart list' }];
  }
  const local = all.filter((v) => v.source === 'local');
  return [tart, await checkDisk(deps, all), checkImages(deps, all), checkSlots(deps, local), await checkSsh(deps, local)];
}
