/**
 * Our design, with the dispatcher's real core: buildDispatcher (webhook route, placer, start-runner,
 * pending demand in memory, slot-free route, reconciler) and the Node adapter's reconcile loop, on the
 * simulated clock with the production reconcile settings. It reaches the agents through the real
 * agent client and the fake GitHub through Octokit, both over the in-process network; the fake's
 * webhooks come to its /webhook the same way.
 */
import { buildDispatcher } from '../../dispatcher/src/build-dispatcher';
import { parseConfig } from '../../dispatcher/src/config';
import { startReconcileLoop } from '../../dispatcher/src/reconcile-loop';
import { createCountingLogger } from './counting-logger';
import { GITHUB_ORIGIN, GITHUB_TOKEN, ORG, REPO } from './bench-github';
import { POOL } from './sim-host';
import { DISPATCHER_URL, type Variant } from './variant';

const WEBHOOK_SECRET = 'bench-webhook-secret';

export const tartfleetVariant: Variant = {
  name: 'tartfleet',
  design: 'webhooks + pending demand refilled on slot-free callbacks, reconcile pass as the safety net; one ephemeral VM per job',
  agents: true,
  slotCallback: true,
  keepsRegistrations: false,
  async start({ net, clock, github, hosts }) {
    const config = parseConfig({
      // Latency guards stay in real time (CPU time is not compressed): the placement timeout is 1 s
      // real; GitHub requests get the schema's maximum.
      github: { apiUrl: GITHUB_ORIGIN, auth: { token: GITHUB_TOKEN }, org: ORG, repos: [REPO], requestTimeoutMs: 120_000 },
      webhook: { secrets: [WEBHOOK_SECRET] },
      pools: [{ name: POOL.name, labels: [...POOL.labels], image: POOL.image, hosts: hosts.map((h) => ({ url: h.url, secret: h.secret })) }],
      placement: { timeoutMs: 1_000 * clock.scale },
    });
    let noCapacity = 0;
    const logger = createCountingLogger('dispatcher');
    const dispatcher = buildDispatcher({
      config,
      logger,
      clock,
      fetch: net.fetch,
      // Octokit waits Retry-After seconds: simulated seconds.
      retryAfterBaseValue: 1000 / clock.scale,
      onNoCapacity: () => {
        noCapacity += 1;
        loop.kick();
      },
      onWebhook: () => loop.noteWebhook(),
    });
    net.serve(DISPATCHER_URL, dispatcher.app);
    let passes = 0;
    // Webhooks (and so the two hooks above) start only once the fake GitHub has the hook below.
    const loop = startReconcileLoop(dispatcher.reconciler, config.reconcile, logger, clock, () => (passes += 1));
    github.addWebhook({ org: ORG, url: `${DISPATCHER_URL}/webhook`, secret: WEBHOOK_SECRET });
    return {
      report: () => ({ dispatcher: { reconcilePasses: passes, webhooksWithoutCapacity: noCapacity, warningsAndErrors: logger.counts() } }),
      async stop() {
        await loop.stop();
        await dispatcher.settled();
      },
    };
  },
};
