/**
 * The image service on the real tart driver against the tart simulator: images are built and pushed
 * into a directory registry with the simulator (TART_SIM_REGISTRY, as a fleet shares it), pulled
 * through the agent's `tart pull`, and smoke-tested in a real simulated VM over real SSH, running the
 * image's own packer/guest/smoke-test.sh.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageService, type ImageService } from '../../../host-agent/src/images/image-service';
import { openPoolImageStore } from '../../../host-agent/src/images/pool-image-store';
import { createSsh2RemoteShell } from '../../../host-agent/src/ssh/remote-shell';
import { createTartCli } from '../../../host-agent/src/tart/tart-cli';
import { systemClock } from '../../../core/clock';
import { silentLogger } from '../../../core/logger';
import { freeBytes } from '../../../host-agent/src/cli/free-bytes';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';

const REPO = 'ghcr.io/acme/runner';
let env: SimEnv;
let images: ImageService;
let registry: string;

function build(): ImageService {
  const config = env.config({ images: { freeMarginBytes: 1e9, pruneBelowFreeBytes: 0, smokeTimeoutMs: 60_000 } });
  let slots = 1;
  return createImageService({
    config,
    tart: createTartCli({ bin: env.tartBin, home: env.tartHome, logger: silentLogger }),
    shell: createSsh2RemoteShell({ logger: silentLogger }),
    store: openPoolImageStore(env.stateDir, config.pools),
    tartHome: env.tartHome,
    freeBytes,
    activeVms: () => new Map(),
    reserveSlot: () => {
      if (slots <= 0) return undefined;
      slots -= 1;
      return () => (slots += 1);
    },
    clock: systemClock,
    logger: silentLogger,
    logFileOf: (vm) => path.join(env.root, `${vm}.log`),
  });
}

/** Builds an image in a separate TART_HOME (the image builder) and pushes it to the registry. */
function push(tag: string, breakIt?: (guestHome: string) => void): string {
  const home = path.join(env.root, `builder-${tag}`);
  mkdirSync(home, { recursive: true });
  const run = (args: string[]) => execFileSync(env.tartBin, args, { env: { ...process.env, TART_HOME: home }, encoding: 'utf8' });
  run(['create', 'img', '--from-ipsw', 'latest']);
  breakIt?.(path.join(home, 'vms/img/guest/Users/admin'));
  run(['push', 'img', `${REPO}:${tag}`]);
  return `${REPO}:${tag}`;
}

const localVms = (): string[] => env.simTart(['list', '--source', 'local', '-q']).split('\n').filter(Boolean);

beforeAll(async () => {
  // One registry for the image builder and the host, as a fleet shares ghcr.io.
  registry = mkdtempSync(path.join(tmpdir(), 'tf-registry-'));
  env = await createSimEnv({ bootMs: 500, env: { TART_SIM_REGISTRY: registry } });
  images = build();
}, 60_000);

afterAll(async () => {
  await env?.close();
  rmSync(registry, { recursive: true, force: true });
}, 60_000);

describe('images on the simulator', () => {
  it('pulls a pushed image through tart pull and lists it with its size and why it is kept', async () => {
    const v1 = push('v1');
    expect((await images.pull({ image: v1, sizeBytes: 0 })).state).toBe('pulling');
    await images.idle();
    const listed = await images.list();
    expect(listed.pull).toMatchObject({ image: v1, state: 'done' });
    const entry = listed.images.find((i) => i.name === v1);
    expect(entry).toMatchObject({ source: 'oci', diskBytes: 50e9, inUse: true, usedBy: ['prefetched'] });
    // Its digest entry is listed too, kept for the same reason.
    expect(listed.images.find((i) => i.name.startsWith(`${REPO}@sha256:`))?.usedBy).toEqual(['prefetched']);
    expect(listed.freeBytes).toBeGreaterThan(0);
  }, 60_000);

  it('a registry failure ends the pull as failed with tart\'s reason', async () => {
    env.setFaults('pull-fail=503');
    try {
      await images.pull({ image: `${REPO}:v1`, sizeBytes: 0 });
      await images.idle();
    } finally {
      env.setFaults('');
    }
    expect((await images.list()).pull).toMatchObject({ state: 'failed', message: expect.stringContaining('code: 503') });
  }, 60_000);

  it('smoke-tests a good image in a real VM over SSH and leaves no VM behind', async () => {
    const result = await images.smoke(`${REPO}:v1`);
    expect(result.output).toContain('ok: runner installed at');
    expect(result.output).toContain('ok: guest script');
    expect(result.output).toContain('smoke-test: passed');
    expect(result.ok).toBe(true);
    expect(result.seconds).toBeGreaterThan(0.4);
    expect(localVms()).toEqual(['base']);
  }, 90_000);

  it('a smoke test of an image without the runner fails, names what is missing, and leaves no VM', async () => {
    const broken = push('broken', (home) => rmSync(path.join(home, 'actions-runner/run.sh')));
    await images.pull({ image: broken, sizeBytes: 0 });
    await images.idle();
    const result = await images.smoke(broken);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/FAIL: expected the GitHub Actions runner at \S+actions-runner\/run.sh, found nothing/);
    expect(result.output).toContain('smoke-test: FAILED');
    expect(localVms()).toEqual(['base']);
  }, 90_000);

  /** Writes ~/.tartfleet/image.json as packer/scripts/write-metadata.sh does; `fingerprint` overrides the real one. */
  const withMetadata = (fingerprint?: string) => (home: string) => {
    const real = readFileSync(path.join(home, '../../etc/ssh/ssh_host_ed25519_key.fingerprint'), 'utf8').trim();
    const metadata = { schema: 1, runnerVersion: '2.330.0', xcodeVersion: '26.1', macosVersion: '26.1', buildDate: '2026-11-28T00:00:00Z', sshHostKeyFingerprint: fingerprint ?? real, templateCommit: 'abc123' };
    writeFileSync(path.join(home, '.tartfleet/image.json'), `${JSON.stringify(metadata, null, 2)}\n`);
    return real;
  };

  it('reads the image metadata in the smoke VM and checks the host key the VM presents against it', async () => {
    let real = '';
    const image = push('meta', (home) => (real = withMetadata()(home)));
    await images.pull({ image, sizeBytes: 0 });
    await images.idle();
    const result = await images.smoke(image);
    expect(result.output).not.toContain('image-metadata:');
    expect(result).toMatchObject({ ok: true, hostKeyFingerprint: real, metadata: { runnerVersion: '2.330.0', xcodeVersion: '26.1', sshHostKeyFingerprint: real, templateCommit: 'abc123' } });
    // The build date is kept (on disk) for the image age metric.
    expect(openPoolImageStore(env.stateDir, []).buildDateOf(image)).toBe('2026-11-28T00:00:00.000Z');
    expect(localVms()).toEqual(['base']);
  }, 90_000);

  it('fails the smoke test of an image whose VM presents another host key than its metadata records', async () => {
    const forged = 'SHA256:' + 'A'.repeat(43);
    const image = push('forged', withMetadata(forged));
    await images.pull({ image, sizeBytes: 0 });
    await images.idle();
    const result = await images.smoke(image);
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`smoke: the image metadata records SSH host key ${forged}, but the VM presented ${result.hostKeyFingerprint}`);
    expect(result.output).toContain('smoke-test: passed');
    expect(localVms()).toEqual(['base']);
  }, 90_000);

  it('a pool switched to a pulled image keeps it across an agent restart; rollback returns', async () => {
    expect(await images.switchPool('mac', `${REPO}:v1`)).toEqual({ pool: 'mac', current: `${REPO}:v1`, previous: 'base' });
    images = build();
    expect((await images.list()).pools).toEqual([{ pool: 'mac', current: `${REPO}:v1`, previous: 'base' }]);
    expect(await images.rollback('mac')).toEqual({ pool: 'mac', current: 'base', previous: `${REPO}:v1` });
  }, 60_000);
});
