import { Hono } from 'hono';
import { z } from 'zod';
import { AUTO_WARM_MAX_MS, poolNameSchema, setAutoWarmTargetRequestSchema, setWarmTargetRequestSchema } from '../../../core/agent-api/contract';
import type { Clock } from '../../../core/clock';
import { ApiError } from './api-error';
import type { RunnerService } from '../service';
import { jsonBody, pathParams, requireJson } from './validate';

// The pool is checked against this host's pools by the service, so an unknown one is a 400 naming
// `pool` like every other bad field; the path only has to be a pool name at all.
const poolParam = pathParams(z.strictObject({ pool: poolNameSchema }));

/** `PUT /v1/pools/:pool/warm` `{count, until?}` (admin): the pool's warm target on this host
 * (persisted; back to the configured baseline after `until`). `PUT /v1/pools/:pool/warm/auto`
 * `{count, until}` (runner scope): the dispatcher's automatic target, which only adds above it and
 * expires within minutes. Both answer with the pool's warm state. */
export function warmRoutes(service: RunnerService, clock: Pick<Clock, 'now'>): Hono {
  return new Hono()
    .put('/:pool/warm', poolParam, requireJson, jsonBody(setWarmTargetRequestSchema), async (c) => {
      const { count, until } = c.req.valid('json');
      return c.json(await service.setWarmTarget(c.req.valid('param').pool, count, until === undefined ? undefined : Date.parse(until), 'manual'));
    })
    .put('/:pool/warm/auto', poolParam, requireJson, jsonBody(setAutoWarmTargetRequestSchema), async (c) => {
      const { count, until } = c.req.valid('json');
      const untilMs = Date.parse(until);
      if (untilMs > clock.now() + AUTO_WARM_MAX_MS) throw new ApiError(400, 'bad_request', `until must be at most ${AUTO_WARM_MAX_MS / 60_000} minutes ahead for an automatic target, got ${until}`);
      return c.json(await service.setWarmTarget(c.req.valid('param').pool, count, untilMs, 'auto'));
    });
}
