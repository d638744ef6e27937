import { Hono } from 'hono';
import { pullImageRequestSchema, smokeRequestSchema } from '../api/contract';
import { ImageError } from '../images/image-error';
import type { ImageService } from '../images/image-service';
import { ApiError } from './api-error';
import { jsonBody, requireJson } from './validate';

/** Runs an image operation, turning the service's refusals into the contract's error body. */
export async function imageCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error: unknown) {
    if (error instanceof ImageError) throw new ApiError(error.status, error.code, error.message, error.code === 'no_slot' ? 15 : undefined);
    throw error;
  }
}

/** `/v1/images`: list, pull (202, in the background, one at a time), smoke test, prune. */
export function imageRoutes(images: ImageService): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await images.list()))
    .post('/pull', requireJson, jsonBody(pullImageRequestSchema), async (c) => c.json(await imageCall(() => images.pull(c.req.valid('json'))), 202))
    .post('/smoke', requireJson, jsonBody(smokeRequestSchema), async (c) => c.json(await imageCall(() => images.smoke(c.req.valid('json').image))))
    .post('/prune', async (c) => c.json(await imageCall(() => images.prune())));
}
