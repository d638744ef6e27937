import { z } from 'zod';

/** `images` section of the agent config: rollout housekeeping (issue 7). */
export const imagesConfigSchema = z.strictObject({
  /** A pull is refused unless free disk under TART_HOME is at least the image's size plus this. */
  freeMarginBytes: z.number().int().nonnegative().default(20e9),
  /** Pruning is disk-aware: unused OCI images are deleted (oldest access first) only while free
   * disk under TART_HOME is below this. 0 disables pruning. */
  pruneBelowFreeBytes: z.number().int().nonnegative().default(150e9),
  /** Upper bound of a smoke test (clone, boot, SSH, script, teardown). */
  smokeTimeoutMs: z.number().int().positive().default(600_000),
});
export type ImagesConfig = z.infer<typeof imagesConfigSchema>;
