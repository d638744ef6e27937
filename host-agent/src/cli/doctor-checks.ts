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
import type { Clock } from '../../../core/clock';
import { checkClockSkew } from './clock-skew-check';
import { checkLocalNetwork, checkRunnerAge, IMAGE_METADATA_COMMAND } from './guest-checks';
import { checkHostFirewall, runHostChecks } from './host-checks';
import type { HostSystem } from './host-system';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Short name: `tart`, `disk`, `images`, `slots`, `ssh`. */
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do about it, in one line (for warn and fail). */
  fix?: string;
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
  /** The Mac itself: system commands, files, the network. */
  system: HostSystem;
  clock: Clock;
  /** The dispatcher to compare clocks with (`--dispatcher`), when known. */
  dispatcherUrl?: string;
}

const GB = 1e9;
/** Assumed base image size when no pool image is present yet (the cirruslabs images are 50 GB disks). */
const DEFAULT_IMAGE_GB = 50;

const fmtGb = (bytes: number) => `${Math.floor(bytes / GB)} GB`;
/** The tart release docs/reference/tart-cli.md describes and the simulator reproduces. */
export const TESTED_TART_VERSION = '2.32.1';

/** -1, 0 or 1 for dotted numeric versions (`2.32.1`); non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** An nginx size (`20g`, `512m`, `1024k`, bytes without a suffix) in bytes. */
function nginxSizeBytes(size: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(size);
  if (!m) return 0;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

function findImage(entries: readonly TartVm[], image: string): TartVm | undefined {
  return entries.find((e) => e.name === image);
}

async function checkTart(deps: DoctorDeps): Promise<CheckResult> {
  try {
    const version = await deps.tart.version({ timeoutMs: 15_000 });
    const detail = `tart ${version} (${deps.config.tart.bin})`;
    if (compareVersions(version, TESTED_TART_VERSION) < 0) return { name: 'tart', status: 'warn', detail: `${detail}: older than ${TESTED_TART_VERSION}, the release tartfleet is tested against`, fix: 'brew upgrade cirruslabs/cli/tart' };
    return { name: 'tart', status: 'ok', detail };
  } catch (error: unknown) {
    if (error instanceof TartError && error.kind === 'not-installed') {
      return { name: 'tart', status: 'fail', detail: `tart not found at '${deps.config.tart.bin}'`, fix: 'brew install cirruslabs/cli/tart (or set TART_BIN)' };
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
  if (missing.length > 0) return { name: 'images', status: 'fail', detail: `local base image missing (tart clone will fail): ${missing.join(', ')}`, fix: 'tart pull <registry image> or tart clone it under the configured name' };
  if (notPulled.length > 0) return { name: 'images', status: 'warn', detail: `not pulled yet, the first runner will wait for the download: ${notPulled.join(', ')}`, fix: `tart pull ${notPulled[0]?.split(': ')[1] ?? '<image>'}` };
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
  // The mirror evicts to keep its minFree, so that much is not there for VMs either.
  const reserved = deps.config.cache === undefined ? 0 : nginxSizeBytes(deps.config.cache.minFree);
  const worstCase = largestGb * deps.config.maxVms;
  const mirror = reserved > 0 ? ` + the mirror's minFree ${deps.config.cache?.minFree}` : '';
  const detail = `${fmtGb(free)} free under ${deps.tartHome}; ${basis}; ${deps.config.maxVms} slot(s) may grow to ${worstCase} GB${mirror}`;
  const fix = 'free space under TART_HOME (tart prune --entries caches, delete unused images) or lower maxVms';
  if (free < largestGb * GB + reserved) return { name: 'disk', status: 'fail', detail: `${detail}; not enough for one image${mirror}`, fix };
  if (free < worstCase * GB + reserved) return { name: 'disk', status: 'warn', detail, fix };
  return { name: 'disk', status: 'ok', detail };
}

function checkSlots(deps: DoctorDeps, local: readonly TartVm[]): CheckResult {
  const running = local.filter((v) => v.state === 'running');
  const managed = running.filter((v) => parseName(v.name) !== undefined);
  const foreign = running.length - managed.length;
  const free = Math.max(0, deps.config.maxVms - running.length);
  const detail = `${running.length} VM(s) running (${managed.length} managed by tartfleet) for ${deps.config.maxVms} slot(s), ${free} free`;
  if (running.length > deps.config.maxVms) return { name: 'slots', status: 'fail', detail: `${detail}: more than the slots; macOS allows 2 at once, so runners will fail to start`, fix: 'tart stop the VMs tartfleet did not start, or lower maxVms' };
  if (foreign > 0) return { name: 'slots', status: 'warn', detail: `${detail}; ${foreign} VM(s) not started by the agent hold slots it counts on`, fix: 'tart stop the VMs tartfleet did not start' };
  return { name: 'slots', status: 'ok', detail };
}

/** Caps what is read of the guest's metadata file: the guest is not trusted. */
const MAX_METADATA_CHARS = 8192;

/** SSH into a running VM (managed ones first), then what needs a VM: Local Network access and the runner's age. */
async function checkGuest(deps: DoctorDeps, local: readonly TartVm[]): Promise<CheckResult[]> {
  const running = local.filter((v) => v.state === 'running');
  const target = running.find((v) => parseName(v.name) !== undefined) ?? running[0];
  if (target === undefined) {
    const skip = (name: string): CheckResult => ({ name, status: 'skip', detail: 'no VM is running to test against', fix: 'start one (tart clone <image> probe && tart run --no-graphics probe &) and run doctor again' });
    return [skip('ssh'), skip('local-network'), skip('runner-age')];
  }
  const { ssh } = deps.config;
  const where = `${ssh.user}@${target.name}:${ssh.port}`;
  let ip: string;
  try {
    ip = await deps.tart.ip(target.name, 10, { timeoutMs: 20_000 });
  } catch (error: unknown) {
    return [{ name: 'ssh', status: 'fail', detail: `${where}: tart ip: ${errorMessage(error)}` }];
  }
  const network = await checkLocalNetwork(deps.system, ip, ssh.port);
  try {
    const privateKey = ssh.privateKeyFile === undefined ? undefined : deps.readFile(ssh.privateKeyFile);
    const session = await deps.shell.connect(guestConnectOptions(ssh, { host: ip, privateKey, deadlineMs: deps.sshTimeoutMs }));
    try {
      const result = await session.exec('true');
      if (result.exitCode !== 0) return [{ name: 'ssh', status: 'fail', detail: `${where} (${ip}): connected, but 'true' exited ${result.exitCode}` }, network];
      let raw = '';
      const read = await session.exec(IMAGE_METADATA_COMMAND, {
        onLine: (line, stream) => {
          if (stream === 'stdout' && raw.length < MAX_METADATA_CHARS) raw += `${line}\n`;
        },
      });
      const age = checkRunnerAge(target.name, read.exitCode === 0 ? raw : undefined, deps.clock.now());
      return [{ name: 'ssh', status: 'ok', detail: `${where} (${ip}): connected, host key ${session.hostKeyFingerprint}` }, network, age];
    } finally {
      session.close();
    }
  } catch (error: unknown) {
    return [{ name: 'ssh', status: 'fail', detail: `${where}: ${errorMessage(error)}`, fix: "check ssh.user/password/privateKeyFile and the image's Remote Login" }, network];
  }
}

/** The host mirror, when one is configured: a mirror that is down slows jobs, so only a warning. */
async function checkMirror(deps: DoctorDeps): Promise<CheckResult[]> {
  if (deps.config.cache === undefined) return [];
  const health = await checkMirrorHealth(deps.config.cache);
  return [health.ok ? { name: 'mirror', status: 'ok', detail: health.message } : { name: 'mirror', status: 'warn', detail: health.message, fix: 'launchctl kickstart -k gui/$(id -u)/dev.tartfleet.mirror (deploy/README.md)' }];
}

/** Run every check; checks that need tart are skipped when tart itself is unusable. */
export async function runDoctorChecks(deps: DoctorDeps): Promise<CheckResult[]> {
  return [...(await runHostChecks(deps.system)), await checkHostFirewall(deps.system, deps.config), ...(await runTartChecks(deps)), ...(await checkMirror(deps)), await checkClockSkew(deps.system, deps.dispatcherUrl)];
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
  return [tart, await checkDisk(deps, all), checkImages(deps, all), checkSlots(deps, local), ...(await checkGuest(deps, local))];
}
