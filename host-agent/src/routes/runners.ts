import { Hono } from 'hono';
import { z } from 'zod';
import { runnerNameSchema, startRunnerRequestSchema } from '../../../core/agent-api/contract';
import type { RunnerService } from '../service';
import { ApiError } from './api-error';
import { jsonBody, pathParams, requireJson } from './validate';

const nameParam = pathParams(z.strictObject({ name: runnerNameSchema }));

/** `/v1/runners`: start (202 with the record), list, get, cancel. The JIT config in the request
 * goes to the service and nowhere else: records never carry it. */
export function runnerRoutes(service: RunnerService): Hono {
  return new Hono()
    .post('/', requireJson, jsonBody(startRunnerRequestSchema), (c) => {
      // StartRejectedError (409 / 503 / 422) is mapped in app.onError.
      const record = service.start(c.req.valid('json'));
      return c.json(record, 202);
    })
    .get('/', (c) => c.json({ runners: service.list() }))
    .get('/:name', nameParam, (c) => {
      const { name } = c.req.valid('param');
      const record = service.get(name);
      if (!record) throw new ApiError(404, 'not_found', `runner '${name}' is not known to this agent`);
      return c.json(record);
    })
    .delete('/:name', nameParam, async (c) => {
      const { name } = c.req.valid('param');
      if (!(await service.cancel(name))) throw new ApiError(404, 'not_found', `runner '${name}' is not known to this agent`);
      const record = service.get(name);
      return record ? c.json(record) : c.body(null, 204);
    });
}
