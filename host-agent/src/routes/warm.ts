import { Hono } from 'hono';
import { z } from 'zod';
import { poolNameSchema, setWarmTargetRequestSchema } from '../../../core/agent-api/contract';
import type { RunnerService } from '../service';
import { jsonBody, pathParams, requireJson } from './validate';

// The pool is checked against this host's pools by the service, so an unknown one is a 400 naming
// `pool` like every other bad field; the path only has to be a pool name at all.
const poolParam = pathParams(z.strictObject({ pool: poolNameSchema }));

/** `PUT /v1/pools/:pool/warm` `{count, until?}`: the pool's warm target on this host (persisted;
 * back to the configured baseline after `until`). Answers with the pool's warm state. */
export function warmRoutes(service: RunnerService): Hono {
  return new Hono().put('/:pool/warm', poolParam, requireJson, jsonBody(setWarmTargetRequestSchema), async (c) => {
    const { count, until, source } = c.req.valid('json');
    return c.json(await service.setWarmTarget(c.req.valid('param').pool, count, until === undefined ? undefined : Date.parse(until), source));
  });
}
