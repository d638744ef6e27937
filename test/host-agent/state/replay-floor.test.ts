import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestSigner, createRequestVerifier, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, type ReceivedRequest } from '../../../core/agent-api/auth';
import { openReplayFloor, REPLAY_FLOOR_LEASE_SECONDS } from '../../../host-agent/src/state/replay-floor';
import { silentLogger } from '../../../core/logger';
import { createMemoryLogger } from '../../fakes/memory-logger';

const SECRET = 's'.repeat(40);
const T0 = 1_800_000_000; // unix seconds
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tf-floor-'));
  dirs.push(dir);
  return dir;
}

async function request(signedAtSeconds: number): Promise<ReceivedRequest> {
  const parts = { method: 'GET', path: '/v1/host', body: '' };
  const h = await createRequestSigner(SECRET).sign({ ...parts, hostId: 'mini-1' }, signedAtSeconds * 1000);
  return { ...parts, timestamp: h[TIMESTAMP_HEADER], nonce: h[NONCE_HEADER], signature: h[SIGNATURE_HEADER] };
}

/** One agent life: a verifier on the floor its stateDir gives it at `startSeconds`. */
function agentLife(dir: string, startSeconds: number, nowSeconds = startSeconds) {
  const floor = openReplayFloor({ stateDir: dir, nowMs: startSeconds * 1000, logger: silentLogger });
  return { floor, verifier: createRequestVerifier({ hostId: 'mini-1', secrets: [SECRET], now: () => nowSeconds * 1000, floor }) };
}

describe('replay floor', () => {
  it('a restarted agent refuses what the last run accepted, including a client 250 s ahead, and accepts fresh requests', async () => {
    const dir = stateDir();
    const first = agentLife(dir, T0, T0 + 10);
    const inSync = await request(T0 + 10);
    const ahead = await request(T0 + 260);
    expect(await first.verifier.verify(inSync)).toEqual({ ok: true, scope: 'runner' });
    expect(await first.verifier.verify(ahead)).toEqual({ ok: true, scope: 'runner' });

    // The mark was leased to the window's end past the ahead request: now + 300.
    const second = agentLife(dir, T0 + 11);
    expect(second.floor.notBefore).toBe(T0 + 311);
    expect(await second.verifier.verify(inSync)).toEqual({ ok: false, reason: 'signed-before-start', notBefore: T0 + 311 });
    expect(await second.verifier.verify(ahead)).toEqual({ ok: false, reason: 'signed-before-start', notBefore: T0 + 311 });
    // A client re-signing at the floor it was told (what the client does by itself) gets in.
    expect(await second.verifier.verify(await request(T0 + 311))).toEqual({ ok: true, scope: 'runner' });
  });

  it('writes once per lease, not once per request', async () => {
    const dir = stateDir();
    const life = agentLife(dir, T0);
    const file = path.join(dir, 'replay-floor');
    await life.floor.cover(T0, T0);
    expect(readFileSync(file, 'utf8')).toBe(`${T0 + REPLAY_FLOOR_LEASE_SECONDS}\n`);
    await life.floor.cover(T0 + REPLAY_FLOOR_LEASE_SECONDS, T0 + REPLAY_FLOOR_LEASE_SECONDS);
    expect(readFileSync(file, 'utf8')).toBe(`${T0 + REPLAY_FLOOR_LEASE_SECONDS}\n`);
    // Never leased past the signature window.
    await life.floor.cover(T0 + 299, T0);
    expect(readFileSync(file, 'utf8')).toBe(`${T0 + 300}\n`);
  });

  it('an unreadable floor is moved aside and the agent refuses the whole window, failing closed', () => {
    const dir = stateDir();
    writeFileSync(path.join(dir, 'replay-floor'), 'garbage');
    const logger = createMemoryLogger();
    const floor = openReplayFloor({ stateDir: dir, nowMs: T0 * 1000, logger });
    expect(floor.notBefore).toBe(T0 + 301);
    expect(readdirSync(dir).filter((f) => f.startsWith('replay-floor.corrupt-'))).toHaveLength(1);
    expect(logger.text()).toContain('replay floor is unreadable: moved aside');
  });
});
