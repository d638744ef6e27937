import { Hono } from 'hono';
import { z } from 'zod';
import { poolNameSchema, setPoolImageRequestSchema } from '../../../core/agent-api/contract';
import type { ImageService } from '../images/image-service';
import { jsonBody, pathParams, requireJson } from './validate';

const poolParam = pathParams(z.strictObject({ pool: poolNameSchema }));

/** `/v1/pools/:pool/image` (switch to a present image; the old one becomes previous) and
 * `/v1/pools/:pool/rollback` (back to previous). Runners already running keep their VM. */
export function poolRoutes(images: ImageService): Hono {
  return new Hono()
    .put('/:pool/image', poolParam, requireJson, jsonBody(setPoolImageRequestSchema), async (c) =>
      c.json(await images.switchPool(c.req.valid('param').pool, c.req.valid('json').image)),
    )
    .post('/:pool/rollback', poolParam, async (c) => c.json(await images.rollback(c.req.valid('param').pool)));
}
