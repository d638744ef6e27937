import { Hono } from 'hono';
import type { RunnerService } from '../service';

/** `GET /v1/host`, `POST /v1/drain`, `POST /v1/resume`. Drain and resume answer with the host state
 * after the change, so the caller sees `draining` flip. */
export function hostRoutes(service: RunnerService): Hono {
  return new Hono()
    .get('/host', async (c) => c.json(await service.hostInfo()))
    .post('/drain', async (c) => {
      service.drain();
      return c.json(await service.hostInfo());
    })
    .post('/resume', async (c) => {
      service.resume();
      return c.json(await service.hostInfo());
    });
}
