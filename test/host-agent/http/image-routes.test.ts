/** The image and pool routes through the real client, app, auth and image service (fake tart). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentClientError, createAgentClient } from '../../../core/agent-api/client';
import { createApp } from '../../../host-agent/src/app';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { createImageService } from '../../../host-agent/src/images/image-service';
import { openPoolImageStore } from '../../../host-agent/src/images/pool-image-store';
import { systemClock } from '../../../core/clock';
import { silentLogger } from '../../../core/logger';
import { createFakeRemoteShell } from '../../fakes/fake-remote-shell';
import { createFakeRunnerService } from '../../fakes/fake-runner-service';
import { createFakeImageTart } from '../../fakes/fake-image-tart';

const SECRET = 'r'.repeat(40);
const ADMIN_SECRET = 'a'.repeat(40);
const GB = 1e9;

describe('image routes', () => {
  let dir: string;
  let free: number;
  let withImages: boolean;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-image-routes-'));
    free = 500 * GB;
    withImages = true;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function client() {
    const config = agentConfigSchema.parse({ hostId: 'mini-r', secrets: [SECRET], adminSecrets: [ADMIN_SECRET], stateDir: dir, pools: [{ name: 'macos', image: 'base', labels: ['macOS'] }] });
    const tart = createFakeImageTart(path.join(dir, 'tart'));
    const images = createImageService({
      config,
      tart,
      shell: createFakeRemoteShell(async () => 0),
      store: openPoolImageStore(dir, config.pools),
      tartHome: path.join(dir, 'tart'),
      freeBytes: async () => free,
      activeVms: () => new Map(),
      reserveSlot: () => () => {},
      clock: systemClock,
      logger: silentLogger,
      logFileOf: (vm) => path.join(dir, `${vm}.log`),
    });
    const app = createApp({
      service: createFakeRunnerService().service,
      config,
      registry: new Registry(),
      logger: silentLogger,
      clock: systemClock,
      ...(withImages ? { images } : {}),
    });
    const c = createAgentClient({ baseUrl: 'http://127.0.0.1:8420', secret: ADMIN_SECRET, timeoutMs: 5_000, fetch: (input, init) => Promise.resolve(app.request(String(input), init)) });
    return { c, tart, images };
  }

  const failure = async (work: Promise<unknown>): Promise<AgentClientError> => {
    const error = await work.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AgentClientError);
    return error as AgentClientError;
  };

  it('pull answers 202 with the status, 507 insufficient_storage on low disk, 409 pull_in_progress for another image', async () => {
    const { c, tart, images } = client();
    const held = tart.holdPulls();
    expect(await c.pullImage({ image: 'ghcr.io/acme/runner:v2' })).toMatchObject({ image: 'ghcr.io/acme/runner:v2', state: 'pulling' });
    const busy = await failure(c.pullImage({ image: 'ghcr.io/acme/runner:v3' }));
    expect([busy.status, busy.code]).toEqual([409, 'pull_in_progress']);
    held.release();
    await images.idle();
    expect((await c.listImages()).images.find((i) => i.name === 'ghcr.io/acme/runner:v2')).toMatchObject({ source: 'oci', inUse: true, usedBy: ['prefetched'] });
    free = 10 * GB;
    const low = await failure(c.pullImage({ image: 'ghcr.io/acme/runner:v3', sizeBytes: 5 * GB }));
    expect([low.status, low.code]).toEqual([507, 'insufficient_storage']);
    expect(low.message).toContain("not enough free disk on host mini-r to pull 'ghcr.io/acme/runner:v3': 10.0 GB free");
  });

  it('validates bodies and path parameters, naming the field', async () => {
    const { c } = client();
    const bad = await failure(c.pullImage({ image: 'ghcr.io/acme/runner:v2; rm -rf /' }));
    expect([bad.status, bad.code]).toEqual([400, 'bad_request']);
    expect(bad.message).toContain('image must be a local VM name or an OCI reference');
    const pool = await failure(c.setPoolImage('Bad_Pool', 'base'));
    expect(pool.status).toBe(400);
    expect(pool.message).toContain('pool must match');
  });

  it('switches and rolls back a pool; smoke answers with the result', async () => {
    const { c, tart } = client();
    tart.addOci('ghcr.io/acme/runner', 'v2', 'sha256:bb');
    const absent = await failure(c.setPoolImage('macos', 'ghcr.io/acme/runner:v9'));
    expect([absent.status, absent.code]).toEqual([409, 'image_not_present']);
    expect(await c.setPoolImage('macos', 'ghcr.io/acme/runner:v2')).toEqual({ pool: 'macos', current: 'ghcr.io/acme/runner:v2', previous: 'base' });
    expect(await c.rollbackPool('macos')).toEqual({ pool: 'macos', current: 'base', previous: 'ghcr.io/acme/runner:v2' });
    const unknown = await failure(c.rollbackPool('linux'));
    expect([unknown.status, unknown.code]).toEqual([422, 'unknown_pool']);
    expect(await c.smokeImage('ghcr.io/acme/runner:v2')).toMatchObject({ image: 'ghcr.io/acme/runner:v2', ok: true });
    expect(await c.pruneImages()).toMatchObject({ removed: [] });
  });

  it('without an image service the routes are not there (404 in the one error shape)', async () => {
    withImages = false;
    const { c } = client();
    const missing = await failure(c.listImages());
    expect([missing.status, missing.code]).toEqual([404, 'not_found']);
  });
});
