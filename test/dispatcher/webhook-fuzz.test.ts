import { sign } from '@octokit/webhooks-methods';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queuedPayload, setupApp, WEBHOOK_SECRET } from '../helpers/dispatcher-harness';

/** Header values a sender can put on the wire (no CR/LF, which fetch rejects before we see them). */
const headerValue = fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n\0]/g, ''));
const jsonish = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 400 }),
  fc.constant(queuedPayload(1, ['macos'])),
  // Real payloads with one field replaced by anything.
  fc.tuple(fc.constantFrom('id', 'labels', 'run_id', 'status', 'created_at'), fc.jsonValue({ maxDepth: 2 })).map(([key, value]) => {
    const p = JSON.parse(queuedPayload(7, ['macos'])) as { workflow_job: Record<string, unknown> };
    p.workflow_job[key] = value;
    return JSON.stringify(p);
  }),
);

describe('webhook fuzzing', () => {
  it('never answers 5xx or throws, whatever the body and headers, and unsigned junk never acts', async () => {
    const { gh, app, dispatcher, agent } = setupApp({ total: 1000 });
    await fc.assert(
      fc.asyncProperty(
        jsonish,
        fc.record(
          {
            event: fc.oneof(fc.constantFrom('workflow_job', 'ping', 'push', ''), headerValue),
            delivery: headerValue,
            signature: fc.oneof(headerValue, fc.constant('sha256=' + '0'.repeat(64))),
            contentType: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', ''),
          },
          { requiredKeys: [] },
        ),
        async (body, h) => {
          const headers: Record<string, string> = {};
          if (h.event !== undefined) headers['x-github-event'] = h.event;
          if (h.delivery !== undefined) headers['x-github-delivery'] = h.delivery;
          if (h.signature !== undefined) headers['x-hub-signature-256'] = h.signature;
          if (h.contentType) headers['content-type'] = h.contentType;
          const res = await app.request('/webhook', { method: 'POST', headers, body });
          expect(res.status).toBeLessThan(500);
          // Wrong or missing signature: 401, always.
          expect(res.status).toBe(401);
        },
      ),
      { numRuns: 2000 },
    );
    await dispatcher.settled();
    expect(agent.started).toHaveLength(0);
    expect(gh.calls).toEqual([]);
  });

  it('correctly signed but arbitrary deliveries never yield a 5xx', async () => {
    const { app, dispatcher } = setupApp({ total: 1000 });
    await fc.assert(
      fc.asyncProperty(jsonish, fc.constantFrom('workflow_job', 'ping', 'push', 'x'), fc.constantFrom('application/json', 'application/x-www-form-urlencoded'), async (body, event, contentType) => {
        const res = await app.request('/webhook', {
          method: 'POST',
          headers: { 'x-github-event': event, 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': await sign(WEBHOOK_SECRET, body || ' '), 'content-type': contentType },
          body: body || ' ',
        });
        expect([200, 202, 400, 413]).toContain(res.status);
      }),
      { numRuns: 2000 },
    );
    await dispatcher.settled();
  });
});
