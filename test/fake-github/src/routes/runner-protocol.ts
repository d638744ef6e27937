import { Hono, type Context } from 'hono';
import type { FakeContext } from '../context';
import { isOnline } from '../serialize';
import type { JobResult, RunnerRecord } from '../types';

/** Result names the runner prints (`TaskResult`) mapped to GitHub conclusions. */
const resultToConclusion: Record<string, JobResult> = { Succeeded: 'success', Failed: 'failure', Canceled: 'cancelled' };

/**
 * The fake's own runner protocol (not GitHub's internal broker API, but the same steps): OAuth client
 * assertion → access token, one session, long-poll for a job message, renew the job lock, complete.
 * Mounted at `/_runner`; the JIT config's `.runner.serverUrl` points here.
 */
export function runnerProtocolRoutes(ctx: FakeContext): Hono {
  const app = new Hono();
  // The same fault table as the REST API: a test can make GitHub's runner service fail or lag too.
  app.use('*', async (c, next) => {
    const fault = ctx.faults.take(c.req.method, c.req.path);
    if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    if (fault?.status && !fault.afterCommit) return c.json({ message: 'Service Unavailable' }, fault.status);
    await next();
    if (fault?.status && fault.afterCommit) c.res = c.json({ message: 'Service Unavailable' }, fault.status);
  });

  const authed = (c: Context): RunnerRecord | undefined => {
    const header = c.req.header('authorization') ?? '';
    const match = /^bearer\s+(\S+)$/i.exec(header);
    return match?.[1] ? ctx.sessions.runnerForToken(match[1]) : undefined;
  };
  const unauthorized = (c: Context): Response =>
    c.json({ typeName: 'TaskAgentAccessTokenExpiredException', message: 'The runner registration was deleted or its access token is invalid.' }, 401);

  app.post('/oauth2/token', async (c) => {
    const form = await c.req.parseBody();
    const assertion = typeof form.client_assertion === 'string' ? form.client_assertion : '';
    const audience = `${ctx.publicUrl(c)}/_runner/oauth2/token`;
    const result = ctx.sessions.exchange(assertion, audience);
    if ('error' in result) return c.json({ error: result.error }, result.error === 'invalid_client' ? 401 : 400);
    return c.json({ access_token: result.token, token_type: 'Bearer', expires_in: 3600 });
  });

  app.post('/sessions', (c) => {
    const runner = authed(c);
    if (!runner) return unauthorized(c);
    // A session whose runner vanished (no poll for runnerOfflineAfterMs) is stale: a restarted runner takes over.
    if (runner.sessionId !== null && !isOnline(runner, ctx.state.clock.now(), ctx.options.runnerOfflineAfterMs)) ctx.sessions.close(runner, runner.sessionId);
    const opened = ctx.sessions.open(runner);
    if ('conflict' in opened) {
      return c.json({ typeName: 'TaskAgentSessionConflictException', message: 'A session for this runner already exists.' }, 409);
    }
    return c.json({
      sessionId: opened.sessionId,
      agent: { id: runner.id, name: runner.name },
      heartbeatIntervalMs: ctx.options.heartbeatIntervalMs,
      pollTimeoutMs: ctx.options.pollTimeoutMs,
    });
  });

  app.delete('/sessions/:sessionId', (c) => {
    const runner = authed(c);
    if (!runner) return unauthorized(c);
    return ctx.sessions.close(runner, c.req.param('sessionId')) ? c.body(null, 204) : c.json({ message: 'session not found' }, 404);
  });

  app.get('/sessions/:sessionId/message', async (c) => {
    const runner = authed(c);
    if (!runner) return unauthorized(c);
    if (runner.sessionId !== c.req.param('sessionId')) {
      return c.json({ typeName: 'TaskAgentSessionExpiredException', message: `Session ${c.req.param('sessionId')} is not the runner's session.` }, 404);
    }
    runner.version = c.req.header('x-runner-version') ?? runner.version;
    runner.os = c.req.header('x-runner-os') ?? runner.os;
    const job = await ctx.engine.poll(runner, ctx.options.pollTimeoutMs, c.req.raw.signal);
    if (!job) return c.body(null, 202);
    const body = {
      jobId: job.id,
      requestId: job.id,
      jobDisplayName: job.name,
      durationMs: job.durationMs,
      result: job.result,
      script: job.script ?? null,
      repository: job.repo,
      runId: job.runId,
    };
    return c.json({ messageId: job.id, messageType: 'PipelineAgentJobRequest', body: JSON.stringify(body) });
  });

  app.post('/jobs/:jobId/renew', (c) => {
    const runner = authed(c);
    if (!runner) return unauthorized(c);
    const beat = ctx.engine.heartbeat(runner, Number(c.req.param('jobId')));
    return beat ? c.json(beat) : c.json({ typeName: 'TaskOrchestrationJobNotFoundException', message: `Job ${c.req.param('jobId')} is not running on this runner.` }, 404);
  });

  app.post('/jobs/:jobId/complete', async (c) => {
    const runner = authed(c);
    if (!runner) return unauthorized(c);
    const body = (await c.req.json().catch(() => ({}))) as { result?: string };
    const conclusion = resultToConclusion[body.result ?? ''];
    if (!conclusion) return c.json({ message: `result must be one of Succeeded, Failed, Canceled, got '${String(body.result)}'` }, 400);
    const ok = ctx.engine.complete(runner, Number(c.req.param('jobId')), conclusion);
    return ok ? c.body(null, 204) : c.json({ typeName: 'TaskOrchestrationJobNotFoundException', message: `Job ${c.req.param('jobId')} is not running on this runner.` }, 404);
  });

  return app;
}
