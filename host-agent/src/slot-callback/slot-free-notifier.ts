/**
 * Tells the dispatcher a slot became free, so it can place a queued job at once instead of at its
 * next reconcile pass: `POST <url>/v1/slots/free` with `{ hostId, free, pools }`, signed with the
 * agent's runner secret for the host id `tartfleet-dispatcher` (core/agent-api/auth.ts). The
 * dispatcher answers 202 `{ placed }`.
 *
 * Best effort by design: the dispatcher's reconcile pass is the safety net, so a failure is logged
 * and counted, never retried. At most one request is in flight; frees that happen meanwhile are
 * sent once after it, with the count of that moment; nothing is sent when no slot is free (warm
 * capacity took it).
 */
import { createRequestSigner, type SigningCrypto } from '../../../core/agent-api/auth';
import type { Clock } from '../../../core/clock';
import { deadlineSignal } from '../../../core/deadline';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';

/** The path the dispatcher serves and the signature covers (a URL path prefix is for a proxy that strips it). */
export const SLOT_FREE_PATH = '/v1/slots/free';
/** Whom the request is signed for: the dispatcher, not an agent. */
export const DISPATCHER_SIGNING_ID = 'tartfleet-dispatcher';
/** The answer is `{ "placed": n }`: anything longer is not read. */
const MAX_ANSWER_BYTES = 1_024;

export type SlotCallbackResult = 'ok' | 'error' | 'timeout';

export interface SlotFreeNotifier {
  /** A slot became free (after warm capacity took what it wanted). Never throws, never waits. */
  slotFreed(): void;
  /** Resolves when no request is in flight or pending (tests, shutdown). */
  idle(): Promise<void>;
}

export interface SlotFreeNotifierDeps {
  /** The dispatcher's base URL (config `dispatcher.url`, validated). */
  url: string;
  timeoutMs: number;
  hostId: string;
  /** Names of the pools this agent serves. */
  pools: readonly string[];
  /** The runner-scope secret that signs (config `secrets[0]`). */
  secret: string;
  signingCrypto?: SigningCrypto;
  fetch: typeof globalThis.fetch;
  clock: Clock;
  logger: Logger;
  /** Free slots now. */
  freeSlots(): number;
  /** One finished callback, for `runner_slot_callbacks_total{result}`. */
  counted(result: SlotCallbackResult): void;
}

/** Reads at most `max` bytes of the answer, then lets the rest go. */
async function readCapped(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function placedOf(text: string): number | undefined {
  try {
    const placed = (JSON.parse(text) as { placed?: unknown }).placed;
    return typeof placed === 'number' ? placed : undefined;
  } catch {
    return undefined;
  }
}

export function createSlotFreeNotifier(deps: SlotFreeNotifierDeps): SlotFreeNotifier {
  const log = deps.logger.child({ module: 'slot-callback' });
  const signer = createRequestSigner(deps.secret, deps.signingCrypto);
  const target = `${deps.url.replace(/\/+$/, '')}${SLOT_FREE_PATH}`;
  // Logged instead of the URL: it names the dispatcher without anything a URL may carry.
  const origin = new URL(deps.url).origin;
  let inFlight: Promise<void> | undefined;
  let pending = false;

  async function send(free: number): Promise<void> {
    const body = JSON.stringify({ hostId: deps.hostId, free, pools: [...deps.pools] });
    const deadline = deadlineSignal(deps.clock, 'slot-free callback', deps.timeoutMs);
    try {
      const signed = await signer.sign({ hostId: DISPATCHER_SIGNING_ID, method: 'POST', path: SLOT_FREE_PATH, body }, deps.clock.now());
      const response = await deps.fetch(target, { method: 'POST', headers: { ...signed, 'content-type': 'application/json' }, body, signal: deadline.signal });
      const text = await readCapped(response, MAX_ANSWER_BYTES);
      if (!response.ok) {
        deps.counted('error');
        log.warn({ dispatcher: origin, status: response.status, free }, 'slot-free callback refused; the dispatcher reconcile pass will find the slot');
        return;
      }
      deps.counted('ok');
      log.debug({ dispatcher: origin, free, placed: placedOf(text) }, 'slot-free callback delivered');
    } catch (error: unknown) {
      const timedOut = deadline.signal.aborted;
      deps.counted(timedOut ? 'timeout' : 'error');
      log.warn({ dispatcher: origin, free, error: timedOut ? `no answer within ${deps.timeoutMs} ms` : errorMessage(error) }, 'slot-free callback failed; the dispatcher reconcile pass will find the slot');
    } finally {
      deadline.cancel();
    }
  }

  /** Sends for the current count; frees that arrive meanwhile start one more round after it. */
  function kick(): void {
    pending = false;
    const free = deps.freeSlots();
    inFlight = (free > 0 ? send(free) : Promise.resolve()).finally(() => {
      inFlight = undefined;
      if (pending) kick();
    });
  }

  return {
    slotFreed() {
      if (inFlight) pending = true;
      else kick();
    },
    idle: async () => {
      while (inFlight) await inFlight;
    },
  };
}
