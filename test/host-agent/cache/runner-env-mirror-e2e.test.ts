/**
 * End to end: the agent's full cycle on the tart simulator hands the runner the mirror settings, and
 * a job in the simulated VM downloads through the real nginx mirror with them.
 *
 * The agent derives the mirror address from each VM's IP (x.y.z.1 of its /24, as on vmnet). Simulated
 * guests live on 127.a.b.c, where every address reaches the host, so nginx listens on the wildcard
 * address here (clients limited to 127.0.0.0/8) and the VM finds it at 127.a.b.1.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { createRecordingObserver } from '../../fakes/recording-observer';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';
import { freePort, loopbackHost, startMirror, type Mirror } from './helpers/nginx-harness';
import { startUpstream, type UpstreamServer } from './helpers/upstream-server';

const TARBALL = '/left-pad/-/left-pad-1.3.0.tgz';

let env: SimEnv | undefined;
let service: LifecycleRunnerService | undefined;
let mirror: Mirror | undefined;
let upstream: UpstreamServer | undefined;
afterEach(async () => {
  await service?.shutdown(1_000).catch(() => undefined);
  service = undefined;
  await env?.close();
  env = undefined;
  await mirror?.stop();
  mirror = undefined;
  await upstream?.close();
  upstream = undefined;
});

describe('runner environment in a simulated VM', () => {
  it('carries the mirror settings, and the job downloads through the mirror with them', async () => {
    upstream = await startUpstream({ host: loopbackHost() });
    const body = randomBytes(40_000);
    upstream.objects.set(TARBALL, { body });
    const port = await freePort('0.0.0.0');
    mirror = await startMirror({
      upstreams: [{ kind: 'npm', url: upstream.url }, { kind: 'homebrew-bottles', url: upstream.url }, { kind: 'homebrew-api', url: upstream.url }],
      listen: [{ address: '0.0.0.0', port }],
      allowWildcardListen: true,
    });

    env = await createSimEnv();
    const e = env;
    const logger = createMemoryLogger();
    const config = e.config({ cache: mirror.config, runnerEnv: { TARTFLEET_OPERATOR_VAR: 'kept' } });
    service = e.service({ config, logger, observer: createRecordingObserver() });
    await service.ready;
    // The job: load the runner's .env as Runner.Listener would, print what npm and brew would see,
    // and fetch a tarball twice the way npm would, through the registry it was given.
    const script = [
      'set -euo pipefail',
      'set -a; . "$HOME/actions-runner/.env"; set +a',
      'echo "mirror-check npm_config_registry=$npm_config_registry HOMEBREW_ARTIFACT_DOMAIN=$HOMEBREW_ARTIFACT_DOMAIN HOMEBREW_API_DOMAIN=$HOMEBREW_API_DOMAIN operator=$TARTFLEET_OPERATOR_VAR"',
      `for i in 1 2; do curl -fsS -o /dev/null -w "mirror-check status=%{http_code} bytes=%{size_download}\\n" "\${npm_config_registry}${TARBALL.slice(1)}"; done`,
    ].join('\n');
    const { jobIds } = e.github.enqueueRun({ jobs: [{ name: 'npm-ci', labels: ['self-hosted', 'macos'], durationMs: 500, script }] });
    const name = 'tf-mac-m1r';
    const jit = await e.mint(name, ['self-hosted', 'macos']);

    service.start({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jit, jobId: jobIds[0] });
    const done = await waitFor('the runner to be gone', () => (service?.get(name)?.stage === 'gone' ? service.get(name) : undefined), 60_000);

    expect(done.failure).toBeUndefined();
    expect(done.jobResult).toBe('Succeeded');
    // The gateway as this VM sees it: x.y.z.1 of the VM's own 127.x.y.z address (never 127.0.0.1).
    const consoleText = logger.text();
    const seen = /mirror-check npm_config_registry=http:\/\/(127\.\d+\.\d+\.1):(\d+)\/npm\/ /.exec(consoleText);
    expect(seen?.[1]).not.toBe('127.0.0.1');
    expect(Number(seen?.[2])).toBe(port);
    const base = `http://${seen?.[1]}:${port}`;
    expect(consoleText).toContain(`mirror-check npm_config_registry=${base}/npm/ HOMEBREW_ARTIFACT_DOMAIN=${base}/homebrew HOMEBREW_API_DOMAIN=${base}/homebrew-api operator=kept`);
    expect(consoleText.match(/mirror-check status=200 bytes=40000/g)).toHaveLength(2);
    // The first download filled the cache, the second came from it: the upstream saw one request.
    expect(upstream.count(TARBALL)).toBe(1);
    const lines = readFileSync(mirror.accessLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes(TARBALL))
      .map((l) => JSON.parse(l) as { cache: string; upstream: string });
    expect(lines.map((l) => [l.upstream, l.cache])).toEqual([
      ['npm', 'MISS'],
      ['npm', 'HIT'],
    ]);
  }, 90_000);
});
