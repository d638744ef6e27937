/**
 * Every input is read and validated here, once; nothing else calls getInput. Secrets are masked the
 * moment they are read. Errors name the input, what was expected and what was received.
 */
import { IMAGE_REF } from '../core/agent-api/contract';
import { LABEL, POOL_NAME } from '../core/names';
import { Inputs, MAX_BATCH_SIZE, MAX_COUNT, MAX_DURATION_MS, MAX_WARM, MODES, type Mode } from './constants';
import type { ActionCore } from './core';
import { ActionError } from './errors';

export type GitHubAuth =
  | { token: string }
  | { appId: string; privateKey: string; installationId: number | undefined };

export interface ActionInputs {
  readonly mode: Mode;
  readonly pool: string;
  readonly count: number;
  readonly extraLabels: readonly string[];
  readonly hosts: readonly string[];
  /** For drain/resume: one of `hosts`. */
  readonly host: string | undefined;
  readonly agentSecret: string;
  readonly allowInsecure: boolean;
  /** Needed by start and stop; drain/resume/status talk to agents only. */
  readonly githubAuth: GitHubAuth | undefined;
  readonly org: string | undefined;
  readonly runnerGroup: string;
  readonly githubApiUrl: string;
  readonly waitOnline: boolean;
  readonly waitTimeoutSeconds: number;
  /** rollout: the image to roll out (OCI reference). */
  readonly image: string | undefined;
  /** rollout: bytes the image needs on disk; the agents estimate when absent. */
  readonly imageSizeBytes: number | undefined;
  /** rollout: hosts switched at once after the canary. */
  readonly batchSize: number;
  /** rollout: the host that goes first, alone (one of hosts). */
  readonly canaryHost: string;
  /** rollout: how long one host's pull may take. */
  readonly pullTimeoutSeconds: number;
  /** scale: warm VMs per host for `pool`. */
  readonly warm: number | undefined;
  /** scale: how long the warm target holds (then each host's configured baseline), ms. */
  readonly durationMs: number | undefined;
}

function bool(core: ActionCore, name: string, fallback: boolean): boolean {
  const raw = core.getInput(name).trim();
  if (raw === '') return fallback;
  if (/^(true|True|TRUE)$/.test(raw)) return true;
  if (/^(false|False|FALSE)$/.test(raw)) return false;
  throw new ActionError('input', `Input '${name}' must be true or false, got '${raw}'`);
}

function int(core: ActionCore, name: string, fallback: number, min: number, max: number): number {
  const raw = core.getInput(name).trim();
  if (raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ActionError('input', `Input '${name}' must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return Number(raw);
}

function list(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `2h`, `90m`, `1d12h`: a duration in ms, or undefined for nothing. */
function duration(core: ActionCore): number | undefined {
  const raw = core.getInput(Inputs.Duration).trim();
  if (raw === '') return undefined;
  const m = /^(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,6})m)?$/.exec(raw);
  const ms = m ? (Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 3600_000 + Number(m[3] ?? 0) * 60_000 : 0;
  if (!m || ms <= 0 || ms > MAX_DURATION_MS) {
    throw new ActionError('input', `Input '${Inputs.Duration}' must be a duration like 90m, 2h or 1d12h (at most 31 days), got '${raw}'`);
  }
  return ms;
}

function parseHosts(raw: string): string[] {
  const hosts = list(raw);
  for (const h of hosts) {
    let url: URL;
    try {
      url = new URL(h);
    } catch {
      throw new ActionError('input', `Input '${Inputs.Hosts}' must list agent URLs like https://mac-mini-1.example:8420, got '${h}'`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ActionError('input', `Input '${Inputs.Hosts}' must list http(s) URLs, got '${h}'`);
    }
  }
  return hosts.map((h) => h.replace(/\/+$/, ''));
}

function githubAuth(core: ActionCore): GitHubAuth | undefined {
  const token = core.getInput(Inputs.GitHubToken).trim();
  const appId = core.getInput(Inputs.AppId).trim();
  const privateKey = core.getInput(Inputs.PrivateKey).trim();
  if (token) core.setSecret(token);
  if (privateKey) core.setSecret(privateKey);
  if (appId || privateKey) {
    if (!/^\d+$/.test(appId)) throw new ActionError('input', `Input '${Inputs.AppId}' must be the GitHub App's numeric id, got '${appId}'`);
    if (!privateKey.includes('PRIVATE KEY')) {
      throw new ActionError('input', `Input '${Inputs.PrivateKey}' must be the App's PEM private key (-----BEGIN … PRIVATE KEY-----), got ${privateKey ? 'something else' : 'nothing'}`);
    }
    const inst = core.getInput(Inputs.InstallationId).trim();
    if (inst !== '' && !/^\d+$/.test(inst)) throw new ActionError('input', `Input '${Inputs.InstallationId}' must be numeric, got '${inst}'`);
    // A key pasted with literal \n becomes a different, multi-line string: mask that one too.
    const pem = privateKey.replace(/\\n/g, '\n');
    if (pem !== privateKey) core.setSecret(pem);
    return { appId, privateKey: pem, installationId: inst === '' ? undefined : Number(inst) };
  }
  return token ? { token } : undefined;
}

/** Reads and validates every input. Throws ActionError('input') for the first bad one. */
export function parseInputs(core: ActionCore): ActionInputs {
  const agentSecret = core.getInput(Inputs.AgentSecret).trim();
  if (agentSecret) core.setSecret(agentSecret);
  const auth = githubAuth(core);

  const modeRaw = core.getInput(Inputs.Mode).trim() || 'start';
  if (!(MODES as readonly string[]).includes(modeRaw)) {
    throw new ActionError('input', `Input '${Inputs.Mode}' must be one of ${MODES.join(', ')}, got '${modeRaw}'`);
  }
  const mode = modeRaw as Mode;

  const pool = core.getInput(Inputs.Pool).trim() || 'macos';
  if (!POOL_NAME.test(pool)) throw new ActionError('input', `Input '${Inputs.Pool}' must match ${POOL_NAME} (lowercase letters, digits, dashes), got '${pool}'`);

  const extraLabels = list(core.getInput(Inputs.Labels));
  for (const l of extraLabels) {
    if (!LABEL.test(l)) throw new ActionError('input', `Input '${Inputs.Labels}' entries must be letters, digits, '.', '_' or '-' (at most 100), got '${l}'`);
  }

  const hosts = parseHosts(core.getInput(Inputs.Hosts));
  if (hosts.length === 0) throw new ActionError('input', `Input '${Inputs.Hosts}' must list at least one agent URL, got nothing`);
  if (agentSecret.length < 32) {
    throw new ActionError('input', `Input '${Inputs.AgentSecret}' must be the agents' shared secret (at least 32 characters), got ${agentSecret.length} characters`);
  }

  const hostRaw = core.getInput(Inputs.Host).trim().replace(/\/+$/, '');
  let host: string | undefined;
  if ((mode === 'rollback' || mode === 'scale') && hostRaw !== '') {
    if (!hosts.includes(hostRaw)) throw new ActionError('input', `Input '${Inputs.Host}' must be one of ${hosts.join(', ')}, got '${hostRaw}'`);
    host = hostRaw;
  }
  if (mode === 'drain' || mode === 'resume') {
    if (hostRaw === '' && hosts.length !== 1) {
      throw new ActionError('input', `Input '${Inputs.Host}' must name one of the hosts for mode '${mode}', got nothing (hosts: ${hosts.join(', ')})`);
    }
    host = hostRaw || hosts[0];
    if (!hosts.includes(host!)) throw new ActionError('input', `Input '${Inputs.Host}' must be one of ${hosts.join(', ')}, got '${hostRaw}'`);
  }

  if ((mode === 'start' || mode === 'stop') && auth === undefined) {
    throw new ActionError('input', `Input '${Inputs.GitHubToken}' or '${Inputs.AppId}' + '${Inputs.PrivateKey}' is required for mode '${mode}' (runner registrations need admin rights), got neither`);
  }

  const org = core.getInput(Inputs.Org).trim() || undefined;
  if (org !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(org)) throw new ActionError('input', `Input '${Inputs.Org}' must be an organisation login, got '${org}'`);

  const apiUrl = core.getInput(Inputs.GitHubApiUrl).trim() || 'https://api.github.com';
  try {
    new URL(apiUrl);
  } catch {
    throw new ActionError('input', `Input '${Inputs.GitHubApiUrl}' must be a URL like https://api.github.com, got '${apiUrl}'`);
  }

  const image = core.getInput(Inputs.Image).trim() || undefined;
  if (mode === 'rollout' && image === undefined) throw new ActionError('input', `Input '${Inputs.Image}' is required for mode 'rollout' (the image to roll out, e.g. ghcr.io/acme/runner:20260101-7), got nothing`);
  if (image !== undefined && (!IMAGE_REF.test(image) || !image.includes('/'))) {
    throw new ActionError('input', `Input '${Inputs.Image}' must be an OCI reference like ghcr.io/acme/runner:tag or ghcr.io/acme/runner@sha256:<hex>, got '${image}'`);
  }
  const sizeRaw = core.getInput(Inputs.ImageSizeBytes).trim();
  if (sizeRaw !== '' && (!/^\d+$/.test(sizeRaw) || !Number.isSafeInteger(Number(sizeRaw)))) {
    throw new ActionError('input', `Input '${Inputs.ImageSizeBytes}' must be a whole number of bytes (e.g. 64000000000), got '${sizeRaw}'`);
  }
  const warmRaw = core.getInput(Inputs.Warm).trim();
  if (mode === 'scale' && warmRaw === '') throw new ActionError('input', `Input '${Inputs.Warm}' is required for mode 'scale' (warm VMs per host, 0-${MAX_WARM}), got nothing`);
  const canaryRaw = core.getInput(Inputs.CanaryHost).trim().replace(/\/+$/, '');
  if (canaryRaw !== '' && !hosts.includes(canaryRaw)) throw new ActionError('input', `Input '${Inputs.CanaryHost}' must be one of ${hosts.join(', ')}, got '${canaryRaw}'`);

  return Object.freeze({
    mode,
    pool,
    count: int(core, Inputs.Count, 1, 1, MAX_COUNT),
    extraLabels: Object.freeze(extraLabels),
    hosts: Object.freeze(hosts),
    host,
    agentSecret,
    allowInsecure: bool(core, Inputs.AllowInsecure, false),
    githubAuth: auth,
    org,
    runnerGroup: core.getInput(Inputs.RunnerGroup).trim() || 'Default',
    githubApiUrl: apiUrl.replace(/\/+$/, ''),
    waitOnline: bool(core, Inputs.WaitOnline, false),
    waitTimeoutSeconds: int(core, Inputs.WaitTimeoutSeconds, 300, 10, 3600),
    image,
    imageSizeBytes: sizeRaw === '' ? undefined : Number(sizeRaw),
    batchSize: int(core, Inputs.BatchSize, 2, 1, MAX_BATCH_SIZE),
    canaryHost: canaryRaw || (hosts[0] as string),
    pullTimeoutSeconds: int(core, Inputs.PullTimeoutSeconds, 3600, 10, 6 * 3600),
    warm: warmRaw === '' ? undefined : int(core, Inputs.Warm, 0, 0, MAX_WARM),
    durationMs: duration(core),
  });
}
