// The slot-free callback against a real loopback HTTP receiver that verifies signatures as the
// dispatcher does: body and signature, coalescing, failures counted and never retried.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { slotCallbackFor } from '../../../host-agent/src/slot-callback/slot-callback-for-config';
import { createSlotFreeNotifier, type SlotCallbackResult } from '../../../host-agent/src/slot-callback/slot-free-notifier';
import { createFakeClock } from '../../fakes/fake-clock';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { startSlotFreeReceiver, type SlotFreeReceiver } from '../../helpers/slot-free-receiver';
import { waitFor } from '../../helpers/wait-for';

const SECRET = 'slot-callback-secret'.padEnd(48, 'x');
let receivers: SlotFreeReceiver[] = [];
afterEach(async () => {
  for (const r of receivers) await r.close();
  receivers = [];
});

async function receiver(): Promise<SlotFreeReceiver> {
  const r = await startSlotFreeReceiver(SECRET);
  receivers.push(r);
  return r;
}

function notifier(url: string, options: { free?: () => number; secret?: string; clock?: typeof systemClock; timeoutMs?: number } = {}) {
  const counts: SlotCallbackResult[] = [];
  const logger = createMemoryLogger();
  const n = createSlotFreeNotifier({
    url,
    timeoutMs: options.timeoutMs ?? 5_000,
    hostId: 'mini-1',
    pools: ['macos', 'linux'],
    secret: options.secret ?? SECRET,
    fetch: globalThis.fetch.bind(globalThis),
    clock: options.clock ?? systemClock,
    logger,
    freeSlots: options.free ?? (() => 1),
    counted: (r) => counts.push(r),
  });
  return { n, counts, logger };
}

describe('slot-free callback', () => {
  it('POSTs { hostId, free, pools } to <url>/v1/slots/free, signed for tartfleet-dispatcher', async () => {
    const r = await receiver();
    const { n, counts } = notifier(`${r.url}/`, { free: () => 2 });
    n.slotFreed();
    await n.idle();
    expect(r.received).toEqual([{ method: 'POST', path: '/v1/slots/free', contentType: 'application/json', body: { hostId: 'mini-1', free: 2, pools: ['macos', 'linux'] }, verified: true }]);
    expect(counts).toEqual(['ok']);
  });

  it('a bad signature gets 401 and is counted as an error, not retried', async () => {
    const r = await receiver();
    const { n, counts, logger } = notifier(r.url, { secret: 'another-secret'.padEnd(48, 'y') });
    n.slotFreed();
    await n.idle();
    expect(r.received).toHaveLength(1);
    expect(r.received[0]?.verified).toBe(false);
    expect(counts).toEqual(['error']);
    expect(logger.text()).toContain('"status":401');
    expect(logger.text()).not.toContain('another-secret');
  });

  it('coalesces: frees while a request is in flight cause exactly one more request, with the count of then', async () => {
    const r = await receiver();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const answer = r.answer;
    r.answer = async (res) => {
      await released;
      answer(res);
    };
    let free = 1;
    const { n, counts } = notifier(r.url, { free: () => free });
    n.slotFreed();
    await waitFor('the first request arrived', () => r.received.length === 1, 5_000, 5);
    free = 2;
    n.slotFreed();
    n.slotFreed();
    release();
    await n.idle();
    expect(r.received.map((x) => (x.body as { free: number }).free)).toEqual([1, 2]);
    expect(counts).toEqual(['ok', 'ok']);
  });

  it('sends nothing when no slot is free (warm capacity took it)', async () => {
    const r = await receiver();
    const { n, counts } = notifier(r.url, { free: () => 0 });
    n.slotFreed();
    await n.idle();
    expect(r.received).toEqual([]);
    expect(counts).toEqual([]);
  });

  it('counts a 500 and an unreachable dispatcher as errors, logged without the secret', async () => {
    const r = await receiver();
    r.answer = (res) => void res.writeHead(500).end('boom');
    const a = notifier(r.url);
    a.n.slotFreed();
    await a.n.idle();
    expect(a.counts).toEqual(['error']);
    const closed = await receiver();
    const url = closed.url;
    await closed.close();
    const b = notifier(url);
    b.n.slotFreed();
    await b.n.idle();
    expect(b.counts).toEqual(['error']);
    for (const text of [a.logger.text(), b.logger.text()]) {
      expect(text).toContain('slot-free callback');
      expect(text).not.toContain(SECRET);
    }
  });

  it('gives up after timeoutMs on the injected clock and counts a timeout', async () => {
    const r = await receiver();
    r.answer = () => new Promise<void>(() => undefined);
    const clock = createFakeClock({ start: Date.now() });
    const { n, counts } = notifier(r.url, { clock, timeoutMs: 2_000 });
    n.slotFreed();
    await waitFor('the request arrived', () => r.received.length === 1, 5_000, 5);
    expect(counts).toEqual([]);
    clock.advance(2_000);
    await n.idle();
    expect(counts).toEqual(['timeout']);
  });

  it('exists only when the config has a dispatcher section', () => {
    const base = { hostId: 'mini-1', secrets: [SECRET], stateDir: '/s', pools: [{ name: 'macos', image: 'base', labels: ['macos'] }] };
    const deps = { fetch: globalThis.fetch, clock: systemClock, logger: createMemoryLogger(), freeSlots: () => 1, counted: () => undefined };
    expect(slotCallbackFor(agentConfigSchema.parse(base), deps)).toBeUndefined();
    expect(slotCallbackFor(agentConfigSchema.parse({ ...base, dispatcher: { url: 'https://dispatcher.example.com' } }), deps)).toBeDefined();
  });
});
