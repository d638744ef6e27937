import { z } from 'zod';

/** `warm` section of the agent config: how warm VMs are kept (the count per pool is `pools[].warm`). */
export const warmConfigSchema = z.strictObject({
  /** A warm VM idle this long is recycled (a fresh one replaces it): long-idle guests drift (clock,
   * DHCP lease, caches) and hold a slot another pool may need. */
  maxIdleMs: z.number().int().positive().default(30 * 60_000),
  /** The liveness probe before a warm VM takes a JIT config (`true` over its SSH session). */
  probeTimeoutMs: z.number().int().positive().default(3_000),
  /** After a warm VM failed to boot, the pool's refill waits this long before the next try. */
  retryBackoffMs: z.number().int().nonnegative().default(30_000),
});
export type WarmConfig = z.infer<typeof warmConfigSchema>;
