import type { Clock } from '../../../core/clock';
import type { Logger } from '../../../core/logger';
import type { AgentConfig } from '../config/schema';
import { nodeSigningCrypto } from '../middleware/node-signing-crypto';
import { createSlotFreeNotifier, type SlotCallbackResult, type SlotFreeNotifier } from './slot-free-notifier';

export interface SlotCallbackDeps {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  logger: Logger;
  freeSlots(): number;
  counted(result: SlotCallbackResult): void;
}

/** The slot-free callback the config asks for: none without a `dispatcher` section. */
export function slotCallbackFor(config: Readonly<AgentConfig>, deps: SlotCallbackDeps): SlotFreeNotifier | undefined {
  const dispatcher = config.dispatcher;
  const secret = config.secrets[0];
  if (!dispatcher || secret === undefined) return undefined;
  return createSlotFreeNotifier({
    url: dispatcher.url,
    timeoutMs: dispatcher.timeoutMs,
    hostId: config.hostId,
    pools: config.pools.map((p) => p.name),
    secret,
    signingCrypto: nodeSigningCrypto,
    ...deps,
  });
}
