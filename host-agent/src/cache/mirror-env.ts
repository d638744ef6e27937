/**
 * The runner environment that points each package manager at the host mirror, as the VM sees it.
 * Only settings a tool reads from its environment are set; the rest get a TARTFLEET_* URL to use in
 * a Podfile or `bundle config` (see deploy/README.md, "What the VM gets").
 */
import { isIPv4 } from 'node:net';
import type { CacheConfig } from './cache-config-schema';
import { resolveUpstreams, type MirrorUpstream } from './mirror-routes';

export interface MirrorEnvOptions {
  /** The host's address on the VM's network. */
  gateway: string;
  port: number;
  upstreams: readonly Pick<MirrorUpstream, 'name' | 'kind'>[];
}

/** Base URL of the mirror for a VM. */
export function mirrorBaseUrl(gateway: string, port: number): string {
  return `http://${gateway.includes(':') ? `[${gateway}]` : gateway}:${port}`;
}

/** `TARTFLEET_MIRROR_<NAME>` for an operator prefix. */
function prefixEnvName(name: string): string {
  return `TARTFLEET_MIRROR_${name.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Variables for the runner's `.env`. When two upstreams share a kind, the first one listed wins.
 *
 * - HOMEBREW_ARTIFACT_DOMAIN: brew swaps the `https://ghcr.io` of bottle and manifest URLs for this
 *   value (`…/v2/homebrew/core/<f>/blobs/sha256:…`; download_strategy.rb). It sends no
 *   Authorization to such a mirror unless a registry token is configured.
 * - HOMEBREW_API_DOMAIN: replaces https://formulae.brew.sh/api.
 * - npm_config_registry: npm and pnpm; npm's `replace-registry-host` (npm ≥ 8.16, default `npmjs`) sends
 *   tarball URLs that name registry.npmjs.org, lockfile ones included, to the mirror.
 * - TARTFLEET_COCOAPODS_CDN, TARTFLEET_RUBYGEMS_MIRROR, TARTFLEET_ACTIONS_RUNNER_MIRROR,
 *   TARTFLEET_MIRROR_<NAME>: no environment variable of CocoaPods or Bundler selects a mirror for
 *   one source (Bundler's `BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/` is not a valid variable name), so
 *   these carry the URL for the workflow to use.
 */
export function mirrorEnv(options: MirrorEnvOptions): Record<string, string> {
  const base = mirrorBaseUrl(options.gateway, options.port);
  const env: Record<string, string> = { TARTFLEET_CACHE_URL: base };
  const set = (key: string, value: string): void => {
    if (!(key in env)) env[key] = value;
  };
  for (const u of options.upstreams) {
    const at = `${base}/${u.name}`;
    switch (u.kind) {
      case 'homebrew-bottles':
        // No trailing slash: brew appends `/v2/…` itself.
        set('HOMEBREW_ARTIFACT_DOMAIN', at);
        break;
      case 'homebrew-api':
        set('HOMEBREW_API_DOMAIN', at);
        break;
      case 'npm':
        set('npm_config_registry', `${at}/`);
        break;
      case 'cocoapods':
        set('TARTFLEET_COCOAPODS_CDN', `${at}/`);
        break;
      case 'rubygems':
        set('TARTFLEET_RUBYGEMS_MIRROR', `${at}/`);
        break;
      case 'github-releases':
        set('TARTFLEET_ACTIONS_RUNNER_MIRROR', `${at}/`);
        break;
      case 'prefix':
        set(prefixEnvName(u.name), `${at}/`);
        break;
    }
  }
  return env;
}

/** The host as a VM on a /24 sees it: x.y.z.1 (vmnet's shared network hands out 192.168.64.0/24
 * with the host at .1). */
export function gatewayForVmIp(vmIp: string): string {
  if (!isIPv4(vmIp)) throw new Error(`VM address must be IPv4 to derive the mirror's gateway, got '${vmIp}'; set cache.vmGateway instead`);
  const parts = vmIp.split('.');
  return `${parts[0]}.${parts[1]}.${parts[2]}.1`;
}

/**
 * The mirror variables for one VM: the configured `vmGateway`, or x.y.z.1 of the VM's address. The
 * port is that of the listen address VMs reach (the one equal to the gateway, else the first).
 */
export function mirrorEnvForVm(config: Pick<CacheConfig, 'vmGateway' | 'listen' | 'upstreams' | 'prefixes'>, vmIp?: string): Record<string, string> {
  if (config.vmGateway === undefined && vmIp === undefined) throw new Error('the mirror address needs cache.vmGateway or the VM\'s IP address; got neither');
  const gateway = config.vmGateway ?? gatewayForVmIp(vmIp ?? '');
  const listen = config.listen.find((l) => l.address === gateway) ?? config.listen[0];
  if (listen === undefined) throw new Error('cache.listen is empty; expected at least one address for the mirror');
  return mirrorEnv({ gateway, port: listen.port, upstreams: resolveUpstreams(config) });
}

/**
 * The whole runner `.env` for a VM: the mirror variables (when a `cache` section is configured)
 * under the operator's `runnerEnv`, which wins on a clash so a pool can point a tool elsewhere.
 * This is what the lifecycle hands the guest bootstrap once the VM's address is known.
 */
export function runnerEnvForVm(cache: CacheConfig | undefined, runnerEnv: Readonly<Record<string, string>>, vmIp: string): Record<string, string> {
  return cache === undefined ? { ...runnerEnv } : { ...mirrorEnvForVm(cache, vmIp), ...runnerEnv };
}
