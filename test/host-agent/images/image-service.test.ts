import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { ImageError } from '../../../host-agent/src/images/image-error';
import { createImageService, type ImageService } from '../../../host-agent/src/images/image-service';
import { openPoolImageStore, type PoolImageStore } from '../../../host-agent/src/images/pool-image-store';
import { systemClock } from '../../../core/clock';
import { silentLogger } from '../../../core/logger';
import { createFakeRemoteShell, type FakeRemoteShell } from '../../fakes/fake-remote-shell';
import { createFakeImageTart, type FakeImageTart } from '../../fakes/fake-image-tart';

const GB = 1e9;
const REPO = 'ghcr.io/acme/runner';

describe('image service', () => {
  let dir: string;
  let tart: FakeImageTart;
  let store: PoolImageStore;
  let free: number;
  let active: string[];
  let slots: number;
  let shell: FakeRemoteShell;
  let smokeExit: number;
  /** Pool images switched, as the lifecycle hears of them. */
  let switched: number;
  const config = () =>
    agentConfigSchema.parse({
      hostId: 'mini-t',
      secrets: ['x'.repeat(32)],
      stateDir: path.join(dir, 'state'),
      pools: [{ name: 'macos', image: 'base', labels: ['macOS'] }, { name: 'xl', image: 'base', labels: ['xl'] }],
      images: { freeMarginBytes: 20 * GB, pruneBelowFreeBytes: 100 * GB, smokeTimeoutMs: 20_000 },
      ssh: { password: 'admin' },
    });
  const build = (): ImageService =>
    createImageService({
      config: config(),
      tart,
      shell,
      store,
      tartHome: path.join(dir, 'tart'),
      freeBytes: async () => free,
      activeVms: () => new Map(active.map((vm) => [vm, `runner ${vm}`])),
      poolImageSwitched: () => void switched++,
      reserveSlot: () => {
        if (slots <= 0) return undefined;
        slots -= 1;
        return () => (slots += 1);
      },
      clock: systemClock,
      logger: silentLogger,
      logFileOf: (vm) => path.join(dir, `${vm}.log`),
    });
  let images: ImageService;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-images-'));
    tart = createFakeImageTart(path.join(dir, 'tart'));
    store = openPoolImageStore(dir, config().pools);
    free = 500 * GB;
    active = [];
    slots = 1;
    smokeExit = 0;
    switched = 0;
    shell = createFakeRemoteShell(async (_command, _stdin, io) => {
      io.line('ok: runner installed');
      return smokeExit;
    });
    images = build();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refusal = async (work: Promise<unknown>): Promise<ImageError> => {
    const error = await work.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    return error as ImageError;
  };

  it('refuses a pull when free disk is below the given size plus the margin, naming both', async () => {
    free = 70 * GB;
    const error = await refusal(images.pull({ image: `${REPO}:v2`, sizeBytes: 60 * GB }));
    expect(error.status).toBe(507);
    expect(error.code).toBe('insufficient_storage');
    expect(error.message).toContain('70.0 GB free');
    expect(error.message).toContain('need 60.0 GB for the image (as given in the request) plus a margin of 20.0 GB (images.freeMarginBytes)');
    expect(tart.pulls).toEqual([]);
  });

  it('without a size, estimates it from the largest image present and says so', async () => {
    tart.addOci(REPO, 'v1', 'sha256:aa', { sizeGb: 45 });
    free = 60 * GB;
    const error = await refusal(images.pull({ image: `${REPO}:v2` }));
    expect(error.message).toContain(`need 45.0 GB for the image (estimated from the largest image present, '${REPO}:v1'; send sizeBytes for the real size)`);
    free = 70 * GB;
    expect((await images.pull({ image: `${REPO}:v2` })).state).toBe('pulling');
    await images.idle();
    expect((await images.list()).pull).toMatchObject({ image: `${REPO}:v2`, state: 'done' });
  });

  it('pulls one at a time: another image gets 409 while one is pulling, the same image its status', async () => {
    const held = tart.holdPulls();
    expect(await images.pull({ image: `${REPO}:v2` })).toMatchObject({ image: `${REPO}:v2`, state: 'pulling' });
    const error = await refusal(images.pull({ image: `${REPO}:v3` }));
    expect([error.status, error.code]).toEqual([409, 'pull_in_progress']);
    expect(error.message).toContain(`already pulling '${REPO}:v2'`);
    expect(await images.pull({ image: `${REPO}:v2` })).toMatchObject({ state: 'pulling' });
    held.release(new Error('UnexpectedHTTPStatusCode(code: 500)'));
    await images.idle();
    expect((await images.list()).pull).toMatchObject({ state: 'failed', message: 'UnexpectedHTTPStatusCode(code: 500)' });
    expect(tart.pulls).toEqual([`${REPO}:v2`]);
    // Free again: the next pull starts.
    expect((await images.pull({ image: `${REPO}:v3` })).state).toBe('pulling');
    await images.idle();
  });

  it('switches a pool only to a present image, keeps the previous one, and a restart keeps both', async () => {
    const missing = await refusal(images.switchPool('macos', `${REPO}:v2`));
    expect([missing.status, missing.code]).toEqual([409, 'image_not_present']);
    tart.addOci(REPO, 'v2', 'sha256:bb');
    expect(await images.switchPool('macos', `${REPO}:v2`)).toEqual({ pool: 'macos', current: `${REPO}:v2`, previous: 'base' });
    expect(JSON.parse(readFileSync(path.join(dir, 'pool-images.json'), 'utf8')).pools.macos).toEqual({ current: `${REPO}:v2`, previous: 'base' });
    // The lifecycle hears of it (warm VMs and spare clones of the old image go at once); not of a refusal.
    expect(switched).toBe(1);

    // A new agent life reads the same state; new runners clone the switched image.
    store = openPoolImageStore(dir, config().pools);
    images = build();
    expect(store.imageFor(config().pools[0]!, 'tf-macos-abc')).toBe(`${REPO}:v2`);
    expect(store.currentOf(config().pools[1]!)).toBe('base');
    expect(await images.rollback('macos')).toEqual({ pool: 'macos', current: 'base', previous: `${REPO}:v2` });
    expect(switched).toBe(2);
    const none = await refusal(images.rollback('xl'));
    expect(none.message).toContain("pool 'xl' has no previous image to roll back to (current: base)");
    const unknown = await refusal(images.switchPool('nope', 'base'));
    expect([unknown.status, unknown.code]).toEqual([422, 'unknown_pool']);
  });

  it('prunes unused images oldest first while disk is low, never what a pool or an active runner uses', async () => {
    tart.addOci(REPO, 'v1', 'sha256:a1', { accessed: '2026-01-01T00:00:00Z' });
    tart.addOci(REPO, 'v2', 'sha256:a2', { accessed: '2026-01-02T00:00:00Z' });
    tart.addOci(REPO, 'v3', 'sha256:a3', { accessed: '2026-01-03T00:00:00Z' });
    tart.addOci(REPO, 'v4', 'sha256:a4', { accessed: '2026-01-04T00:00:00Z' });
    tart.addOci(REPO, undefined, 'sha256:a5', { accessed: '2026-01-05T00:00:00Z' });
    tart.addOci(REPO, 'v6', 'sha256:a6', { accessed: '2025-12-01T00:00:00Z' });
    // Pool macos: v3 current, v2 previous (by digest: its tag must stay too); a runner cloned v1.
    await images.switchPool('macos', `${REPO}@sha256:a2`);
    await images.switchPool('macos', `${REPO}:v3`);
    store.imageFor(config().pools[0]!, 'tf-macos-run1');
    await images.switchPool('macos', `${REPO}:v4`);
    await store.rollback(config().pools[0]!);
    // Now: current v3, previous v4; runner tf-macos-run1 was cloned from v3; v1 is used by a runner below.
    active = ['tf-macos-run1'];
    store.imageFor({ ...config().pools[1]!, image: `${REPO}:v1` }, 'tf-xl-run2');
    active = ['tf-macos-run1', 'tf-xl-run2'];

    free = 200 * GB;
    expect((await images.prune()).removed).toEqual([]);

    free = 50 * GB;
    const result = await images.prune();
    // Unused: v6, v2 (and its digest a2, no longer previous since v4 came) and the untagged a5. Oldest
    // access first, tags before digests: deleting a tag lets tart's GC take its digest.
    expect(result.removed).toEqual([`${REPO}:v6`, `${REPO}:v2`, `${REPO}@sha256:a5`]);
    const left = tart.ociNames();
    for (const kept of [`${REPO}:v1`, `${REPO}@sha256:a1`, `${REPO}:v3`, `${REPO}@sha256:a3`, `${REPO}:v4`, `${REPO}@sha256:a4`]) expect(left).toContain(kept);
    expect(left).not.toContain(`${REPO}:v6`);
    expect(left).not.toContain(`${REPO}@sha256:a5`);

    const listed = await images.list();
    expect(listed.images.find((i) => i.name === `${REPO}:v3`)?.usedBy).toEqual(['pool macos current', 'runner tf-macos-run1']);
    expect(listed.images.find((i) => i.name === `${REPO}@sha256:a4`)?.usedBy).toEqual(['pool macos previous']);
    expect(listed.images.find((i) => i.name === `${REPO}:v1`)).toMatchObject({ inUse: true, usedBy: ['runner tf-xl-run2'] });

    // The runner ended: its image is no longer protected.
    active = ['tf-macos-run1'];
    expect((await images.prune()).removed).toEqual([`${REPO}:v1`]);
  });

  it('smoke: clones the image, runs the check over SSH, reports ok and output, and deletes the VM', async () => {
    tart.addOci(REPO, 'v2', 'sha256:bb');
    const result = await images.smoke(`${REPO}:v2`);
    expect(result).toMatchObject({ image: `${REPO}:v2`, ok: true, output: 'ok: runner installed' });
    expect(shell.execs.map((e) => e.command)).toEqual(['"$HOME/.tartfleet/smoke-test.sh"']);
    expect(tart.calls.some((c) => /^clone ghcr.io\/acme\/runner:v2 tfsmoke-[0-9a-f]{10}$/.test(c))).toBe(true);
    expect([...tart.vms.keys()]).toEqual(['base']);
    expect(slots).toBe(1);

    smokeExit = 1;
    const failed = await images.smoke(`${REPO}:v2`);
    expect(failed.ok).toBe(false);
    expect(failed.output).toContain('smoke: "$HOME/.tartfleet/smoke-test.sh" exited 1');
    expect([...tart.vms.keys()]).toEqual(['base']);

    tart.failNext('clone', 'Error: No space left on device');
    const cloneFailed = await images.smoke('base');
    expect(cloneFailed).toMatchObject({ ok: false });
    expect(cloneFailed.output).toContain('No space left on device');

    slots = 0;
    const noSlot = await refusal(images.smoke(`${REPO}:v2`));
    expect([noSlot.status, noSlot.code]).toEqual([503, 'no_slot']);
    const absent = await refusal(images.smoke(`${REPO}:v9`));
    expect(absent.code).toBe('image_not_present');
  });
});
