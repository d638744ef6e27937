/**
 * `doctor`'s checks that need a running VM: can this process reach the VM network at all (macOS 15
 * asks for Local Network permission per app), and how old is the runner inside the image (the
 * metadata the image build writes, packer/scripts/write-metadata.sh).
 */
import { imageMetadataSchema } from '../../../core/agent-api/contract';
import type { CheckResult } from './doctor-checks';
import type { HostSystem } from './host-system';

/** Where the image build leaves its metadata in the guest (packer/runner.pkr.hcl). */
export const IMAGE_METADATA_COMMAND = 'head -c 8192 ~/.tartfleet/image.json';
/** GitHub stops accepting a runner some 30 days after the next release; warn well before. */
const WARN_AGE_DAYS = 25;
const DAY_MS = 86_400_000;

export async function checkLocalNetwork(system: HostSystem, ip: string, port: number): Promise<CheckResult> {
  const code = await system.connect(ip, port, 5_000);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return { name: 'local-network', status: 'fail', detail: `connect ${ip}:${port}: ${code}: macOS denies this process Local Network access, so the agent cannot reach its VMs`, fix: 'System Settings → Privacy & Security → Local Network → allow node (the agent\'s runtime), then restart the agent' };
  }
  if (code === 'ETIMEDOUT') return { name: 'local-network', status: 'warn', detail: `connect ${ip}:${port}: no answer within 5 s` };
  return { name: 'local-network', status: 'ok', detail: `the VM network answers (${ip}:${port}${code === undefined ? '' : `: ${code}`})` };
}

/** `raw`: the guest's metadata file (hostile bytes: parsed by schema, never echoed at length). */
export function checkRunnerAge(image: string, raw: string | undefined, nowMs: number): CheckResult {
  const fix = 'build a fresh image (packer/README.md) and roll it out';
  let metadata: ReturnType<typeof imageMetadataSchema.safeParse> | undefined;
  try {
    metadata = raw === undefined ? undefined : imageMetadataSchema.safeParse(JSON.parse(raw));
  } catch {
    metadata = undefined;
  }
  const buildDate = metadata?.success === true ? metadata.data.buildDate : undefined;
  const built = buildDate === undefined ? NaN : Date.parse(buildDate);
  if (!Number.isFinite(built)) return { name: 'runner-age', status: 'warn', detail: `${image}: no readable buildDate in ~/.tartfleet/image.json; cannot tell the runner's age`, fix };
  const days = Math.floor((nowMs - built) / DAY_MS);
  const version = metadata?.success === true && metadata.data.runnerVersion ? `runner ${metadata.data.runnerVersion.slice(0, 20)}, ` : '';
  const detail = `${image}: ${version}built ${days} day(s) ago`;
  if (days >= WARN_AGE_DAYS) return { name: 'runner-age', status: 'warn', detail: `${detail}; GitHub refuses runners about 30 days behind the newest release`, fix };
  return { name: 'runner-age', status: 'ok', detail };
}
