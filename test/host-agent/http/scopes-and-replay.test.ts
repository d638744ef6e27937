import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestSigner, NOT_BEFORE_HEADER } from '../../../core/agent-api/auth';
import { errorBodySchema } from '../../../core/agent-api/contract';
import { openReplayFloor } from '../../../host-agent/src/state/replay-floor';
import { silentLogger } from '../../../core/logger';
import { ADMIN_SECRET, buildTestApp, SECRET, startBody } from '../../helpers/test-app';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function errorOf(res: Response) {
  return errorBodySchema.parse(await res.json()).error;
}

/** A signed request as it crossed the wire: the same bytes can be sent again anywhere. */
async function capture(hostId: string, nowMs: number, secret = SECRET) {
  const body = JSON.stringify(startBody());
  const headers = { ...(await createRequestSigner(secret).sign({ hostId, method: 'POST', path: '/v1/runners', body }, nowMs)), 'content-type': 'application/json' };
  return { method: 'POST', headers, body };
}

describe('replays are refused', () => {
  it('to another host: a request signed for mini-a is 401 on mini-b, whatever Host header it carries', async () => {
    const a = buildTestApp({ hostId: 'mini-a' });
    const b = buildTestApp({ hostId: 'mini-b' });
    const captured = await capture('mini-a', a.clock.nowMs);
    expect((await a.app.request('http://mini-a:8420/v1/runners', captured)).status).toBe(202);
    const replay = await b.app.request('http://mini-a:8420/v1/runners', captured);
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).message).toContain('for this host');
    expect(b.fake.calls).toEqual([]);
  });

  it('after a restart: the restarted agent refuses a request its previous run accepted, even in the same second', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'tf-replay-'));
    dirs.push(stateDir);
    const nowMs = 1_800_000_000_000;
    const before = buildTestApp({ nowMs, replayFloor: openReplayFloor({ stateDir, nowMs, logger: silentLogger }) });
    const captured = await capture('mini-test', nowMs);
    expect((await before.app.request('/v1/runners', captured)).status).toBe(202);

    // A new process on the same stateDir, started within the same second.
    const after = buildTestApp({ nowMs, replayFloor: openReplayFloor({ stateDir, nowMs: nowMs + 400, logger: silentLogger }) });
    const replay = await after.app.request('/v1/runners', captured);
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).message).toContain("signed before the agent's last start");
    expect(Number(replay.headers.get(NOT_BEFORE_HEADER))).toBeGreaterThan(nowMs / 1000);
    expect(after.fake.calls).toEqual([]);
  });

  it('with a runner-scope secret on an admin route: 403, and nothing changes', async () => {
    const { signed, fake } = buildTestApp();
    for (const [method, route, body] of [
      ['POST', '/v1/drain', undefined],
      ['POST', '/v1/resume', undefined],
      ['GET', '/v1/images', undefined],
      ['POST', '/v1/images/pull', { image: 'ghcr.io/evil/image:latest' }],
      ['PUT', '/v1/pools/macos/image', { image: 'ghcr.io/evil/image:latest' }],
      ['PUT', '/v1/pools/macos/warm', { warm: 2 }],
      ['POST', '/v1/pools/macos/rollback', undefined],
      ['POST', '/v1//drain', undefined],
    ] as const) {
      const res = await signed(method, route, body, { secret: SECRET });
      expect([route, res.status]).toEqual([route, 403]);
      expect(await errorOf(res)).toEqual({ code: 'forbidden', message: expect.stringContaining('needs the admin secret') });
    }
    expect(fake.calls).toEqual([]);
  });

  it('the runner secret still starts, lists and cancels runners and reads host info; the admin secret does everything', async () => {
    const { signed } = buildTestApp();
    expect((await signed('GET', '/v1/host')).status).toBe(200);
    expect((await signed('POST', '/v1/runners', startBody())).status).toBe(202);
    expect((await signed('GET', '/v1/runners')).status).toBe(200);
    expect((await signed('GET', '/v1/runners/tf-macos-a1b2')).status).toBe(200);
    expect((await signed('DELETE', '/v1/runners/tf-macos-a1b2')).status).toBe(200);
    expect((await signed('POST', '/v1/drain', undefined, { secret: ADMIN_SECRET })).status).toBe(200);
    expect((await signed('GET', '/v1/host', undefined, { secret: ADMIN_SECRET })).status).toBe(200);
  });
});
