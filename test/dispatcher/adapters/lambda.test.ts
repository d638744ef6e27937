import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaHandler, isScheduledEvent } from '../../../dispatcher/src/adapters/lambda';
import { startFakeGitHub, type RunningFakeGitHub } from '../../fake-github/src';
import { startStubAgentServer } from '../../fakes/stub-agent-server';
import { queuedPayload, serverlessConfig } from '../../helpers/dispatcher-harness';

const AGENT_SECRET = 'agent-secret-0123456789abcdef0123456789';
const WEBHOOK_SECRET = 'lambda-webhook-secret';
let gh: RunningFakeGitHub;
let agent: Awaited<ReturnType<typeof startStubAgentServer>>;
let handler: ReturnType<typeof createLambdaHandler>;

beforeAll(async () => {
  gh = await startFakeGitHub({ jitKeyBits: 1024 });
  agent = await startStubAgentServer({ secret: AGENT_SECRET, slots: 4 });
  const config = serverlessConfig(gh.url, agent.url);
  handler = createLambdaHandler({ env: { TARTFLEET_CONFIG: JSON.stringify(config), GH_TOKEN: 'test-token', WEBHOOK_SECRET, AGENT_SECRET }, retryAfterBaseValue: 1 });
});

afterAll(async () => {
  await agent?.close();
  await gh?.close();
});

/** An HTTP API (API Gateway v2, payload format 2.0) or Function URL event, as AWS sends it. */
function httpEvent(kind: 'apigw' | 'url', body: string, headers: Record<string, string>, base64 = false) {
  const domain = kind === 'url' ? 'abcdefg.lambda-url.eu-west-1.on.aws' : 'abc123.execute-api.eu-west-1.amazonaws.com';
  return {
    version: '2.0',
    routeKey: kind === 'url' ? '$default' : 'POST /webhook',
    rawPath: '/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: domain, ...headers },
    requestContext: {
      accountId: kind === 'url' ? 'anonymous' : '123456789012',
      apiId: kind === 'url' ? 'abcdefg' : 'abc123',
      domainName: domain,
      domainPrefix: domain.split('.')[0],
      http: { method: 'POST', path: '/webhook', protocol: 'HTTP/1.1', sourceIp: '140.82.115.1', userAgent: 'GitHub-Hookshot/abc' },
      requestId: 'req-1',
      routeKey: kind === 'url' ? '$default' : 'POST /webhook',
      stage: '$default',
      time: '28/Nov/2026:01:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

async function deliver(kind: 'apigw' | 'url', jobId: number, options: { secret?: string; base64?: boolean } = {}) {
  const body = queuedPayload(jobId, ['self-hosted', 'macos']);
  const headers = { 'x-github-event': 'workflow_job', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': await sign(options.secret ?? WEBHOOK_SECRET, body) };
  return (await handler(httpEvent(kind, body, headers, options.base64), {})) as { statusCode: number; body: string };
}

describe('Lambda adapter', () => {
  it('handles a webhook from API Gateway v2, doing the work before answering', async () => {
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'a', labels: ['macos'] }] });
    const res = await deliver('apigw', jobIds[0]!);
    expect(res.statusCode).toBe(202);
    // Nothing runs after a Lambda response: the runner is already placed.
    expect(agent.started.map((s) => s.name)).toContain(`tf-macos-j${jobIds[0]}a0`);
  });

  it('handles a webhook from a Function URL, base64 body included, and rejects a bad signature', async () => {
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'b', labels: ['macos'] }, { name: 'c', labels: ['macos'] }] });
    expect((await deliver('url', jobIds[0]!, { base64: true })).statusCode).toBe(202);
    expect(agent.started.map((s) => s.name)).toContain(`tf-macos-j${jobIds[0]}a0`);
    const bad = await deliver('url', jobIds[1]!, { secret: 'wrong' });
    expect(bad.statusCode).toBe(401);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'unauthorized' } });
    expect(agent.started.map((s) => s.name)).not.toContain(`tf-macos-j${jobIds[1]}a0`);
  });

  it('runs the reconciler on an EventBridge scheduled event', async () => {
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'd', labels: ['macos'] }] });
    const scheduled = { version: '0', id: 'e1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: new Date().toISOString(), region: 'eu-west-1', resources: ['arn:aws:events:eu-west-1:123456789012:rule/tartfleet'], detail: {} };
    expect(isScheduledEvent(scheduled)).toBe(true);
    const out = (await handler(scheduled, {})) as { reconciled: boolean };
    expect(out.reconciled).toBe(true);
    // Job b's sibling c had no accepted webhook: the pass starts it as well.
    expect(agent.started.map((s) => s.name)).toContain(`tf-macos-j${jobIds[0]}a0`);
  });
});
