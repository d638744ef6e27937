/**
 * The runner environment that points package managers at the mirror, as a VM sees the host.
 */
import { describe, expect, it } from 'vitest';
import { cacheConfigSchema } from '../../../host-agent/src/cache/cache-config-schema';
import { gatewayForVmIp, mirrorEnv, mirrorEnvForVm, runnerEnvForVm } from '../../../host-agent/src/cache/mirror-env';
import { resolveUpstreams } from '../../../host-agent/src/cache/mirror-routes';

const RUNNER_ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

describe('mirrorEnv', () => {
  it('points every default mirror at the gateway and port', () => {
    const config = cacheConfigSchema.parse({});
    expect(mirrorEnv({ gateway: '192.168.64.1', port: 8480, upstreams: resolveUpstreams(config) })).toEqual({
      TARTFLEET_CACHE_URL: 'http://192.168.64.1:8480',
      HOMEBREW_ARTIFACT_DOMAIN: 'http://192.168.64.1:8480/homebrew',
      HOMEBREW_API_DOMAIN: 'http://192.168.64.1:8480/homebrew-api',
      npm_config_registry: 'http://192.168.64.1:8480/npm/',
      TARTFLEET_COCOAPODS_CDN: 'http://192.168.64.1:8480/cocoapods/',
      TARTFLEET_RUBYGEMS_MIRROR: 'http://192.168.64.1:8480/rubygems/',
      TARTFLEET_ACTIONS_RUNNER_MIRROR: 'http://192.168.64.1:8480/actions-runner/',
    });
  });

  it('names operator prefixes TARTFLEET_MIRROR_<NAME>, follows renamed mirrors, and lets the first of a kind win', () => {
    const config = cacheConfigSchema.parse({
      upstreams: [
        { kind: 'npm', name: 'npm-corp', url: 'https://npm.corp.example' },
        { kind: 'npm', name: 'npm-public' },
      ],
      prefixes: [{ name: 'xcode-runtimes', url: 'https://download.example.com/runtimes' }],
    });
    const env = mirrorEnv({ gateway: '10.0.5.1', port: 9000, upstreams: resolveUpstreams(config) });
    expect(env.npm_config_registry).toBe('http://10.0.5.1:9000/npm-corp/');
    expect(env.TARTFLEET_MIRROR_XCODE_RUNTIMES).toBe('http://10.0.5.1:9000/xcode-runtimes/');
    expect(env.HOMEBREW_ARTIFACT_DOMAIN).toBeUndefined();
  });

  it('produces only keys the guest bootstrap accepts for the runner .env', () => {
    const config = cacheConfigSchema.parse({ prefixes: [{ name: 'a-b-c', url: 'https://example.com' }] });
    for (const key of Object.keys(mirrorEnv({ gateway: '192.168.64.1', port: 8480, upstreams: resolveUpstreams(config) }))) {
      expect(key).toMatch(RUNNER_ENV_KEY);
    }
  });

  it('brackets an IPv6 gateway', () => {
    expect(mirrorEnv({ gateway: 'fd00::1', port: 8480, upstreams: [] })).toEqual({ TARTFLEET_CACHE_URL: 'http://[fd00::1]:8480' });
  });
});

describe('gatewayForVmIp / mirrorEnvForVm', () => {
  it('derives x.y.z.1 from the VM address', () => {
    expect(gatewayForVmIp('192.168.64.23')).toBe('192.168.64.1');
    expect(gatewayForVmIp('10.20.30.40')).toBe('10.20.30.1');
  });

  it('says what it needed when the address is not IPv4', () => {
    expect(() => gatewayForVmIp('fe80::1')).toThrow("VM address must be IPv4 to derive the mirror's gateway, got 'fe80::1'; set cache.vmGateway instead");
    expect(() => gatewayForVmIp('192.168.64')).toThrow(/got '192\.168\.64'/);
  });

  it('uses the VM network gateway and the port of the listen address there', () => {
    const config = cacheConfigSchema.parse({
      listen: [
        { address: '192.168.64.1', port: 8480 },
        { address: '192.168.65.1', port: 8490 },
      ],
      clients: ['192.168.64.0/23'],
    });
    expect(mirrorEnvForVm(config, '192.168.65.7').npm_config_registry).toBe('http://192.168.65.1:8490/npm/');
    expect(mirrorEnvForVm(config, '192.168.64.7').npm_config_registry).toBe('http://192.168.64.1:8480/npm/');
  });

  it('prefers a configured gateway over the derived one', () => {
    const config = cacheConfigSchema.parse({ vmGateway: '172.16.0.1', listen: [{ address: '172.16.0.1', port: 8480 }] });
    expect(mirrorEnvForVm(config, '192.168.64.9').HOMEBREW_API_DOMAIN).toBe('http://172.16.0.1:8480/homebrew-api');
  });

  it('needs a configured gateway or a VM address', () => {
    expect(() => mirrorEnvForVm(cacheConfigSchema.parse({}))).toThrow("the mirror address needs cache.vmGateway or the VM's IP address; got neither");
    expect(mirrorEnvForVm(cacheConfigSchema.parse({ vmGateway: '192.168.64.1' })).TARTFLEET_CACHE_URL).toBe('http://192.168.64.1:8480');
  });
});

describe('runnerEnvForVm', () => {
  it("adds the mirror variables under the operator's runnerEnv, which wins on a clash", () => {
    const cache = cacheConfigSchema.parse({});
    const env = runnerEnvForVm(cache, { npm_config_registry: 'https://npm.corp.example/', FOO: 'bar' }, '192.168.64.5');
    expect(env.npm_config_registry).toBe('https://npm.corp.example/');
    expect(env.FOO).toBe('bar');
    expect(env.HOMEBREW_ARTIFACT_DOMAIN).toBe('http://192.168.64.1:8480/homebrew');
  });

  it('is just runnerEnv without a cache section', () => {
    expect(runnerEnvForVm(undefined, { FOO: 'bar' }, '192.168.64.5')).toEqual({ FOO: 'bar' });
  });
});
