import { describe, expect, it } from 'vitest';
import { createRequestSigner, type ReceivedRequest } from '../../../core/agent-api/auth';
import { createSlotAuth } from '../../../dispatcher/src/http/slot-auth';

const NOW = Date.parse('2026-11-28T00:00:00Z');
const A = 'secret-a-0123456789abcdef0123456789';
const B = 'secret-b-0123456789abcdef0123456789';

async function signed(secret: string, body: string, at = NOW): Promise<ReceivedRequest> {
  const h = await createRequestSigner(secret).sign({ hostId: 'tartfleet-dispatcher', method: 'POST', path: '/v1/slots/free', body }, at);
  return { method: 'POST', path: '/v1/slots/free', body, timestamp: h['X-Tartfleet-Timestamp'], nonce: h['X-Tartfleet-Nonce'], signature: h['X-Tartfleet-Signature'] };
}

describe('slot-free callback authentication', () => {
  it('finds the host of an unknown hostId by its secret, and remembers it', async () => {
    const known = new Map<string, string>();
    const auth = createSlotAuth({ hosts: [{ url: 'https://m1', secret: A }, { url: 'https://m2', secret: B }], knownHostIds: () => known, now: () => NOW });
    expect(await auth.verify('mini-2', await signed(B, '{}'))).toEqual({ ok: true, host: 'https://m2', hosts: ['https://m2'] });
    // Remembered: a second callback for that hostId is checked under B first, and still verifies.
    expect(await auth.verify('mini-2', await signed(B, '{"x":1}'))).toMatchObject({ ok: true, host: 'https://m2' });
    expect(await auth.verify('mini-1', await signed('not-a-host-secret-0123456789abcdef', '{}'))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('tells hosts that share a secret apart only by what their GET /v1/host said', async () => {
    const known = new Map<string, string>();
    const auth = createSlotAuth({ hosts: [{ url: 'https://m1', secret: A }, { url: 'https://m2', secret: A }], knownHostIds: () => known, now: () => NOW });
    expect(await auth.verify('mini-2', await signed(A, '{}'))).toEqual({ ok: true, host: undefined, hosts: ['https://m1', 'https://m2'] });
    known.set('mini-2', 'https://m2');
    expect(await auth.verify('mini-2', await signed(A, '{"x":1}'))).toEqual({ ok: true, host: 'https://m2', hosts: ['https://m1', 'https://m2'] });
  });

  it('refuses a stale, replayed or unsigned callback with the reason', async () => {
    const auth = createSlotAuth({ hosts: [{ url: 'https://m1', secret: A }, { url: 'https://m2', secret: B }], knownHostIds: () => new Map(), now: () => NOW });
    expect(await auth.verify('mini-1', await signed(A, '{}', NOW - 600_000))).toEqual({ ok: false, reason: 'stale-timestamp' });
    const once = await signed(A, '{}');
    expect((await auth.verify('mini-1', once)).ok).toBe(true);
    expect(await auth.verify('mini-1', once)).toEqual({ ok: false, reason: 'replayed' });
    expect(await auth.verify(undefined, { method: 'POST', path: '/v1/slots/free', body: '{}', timestamp: undefined, nonce: undefined, signature: undefined })).toEqual({ ok: false, reason: 'missing-headers' });
  });
});
