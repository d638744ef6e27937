import { Hono } from 'hono';
import { pullImageRequestSchema, smokeRequestSchema } from '../../../core/agent-api/contract';
import type { ImageService } from '../images/image-service';
import { jsonBody, requireJson } from './validate';

/** `/v1/images`: list, pull (202, in the background, one at a time), smoke test, prune. */
export function imageRoutes(images: ImageService): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await images.list()))
    .post('/pull', requireJson, jsonBody(pullImageRequestSchema), async (c) => c.json(await images.pull(c.req.valid('json')), 202))
    .post('/smoke', requireJson, jsonBody(smokeRequestSchema), async (c) => c.json(await images.smoke(c.req.valid('json').image)))
    .post('/prune', async (c) => c.json(await images.prune()));
}
