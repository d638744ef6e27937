/**
 * deploy/grafana/tartfleet.json and deploy/prometheus/rules.yml against the real Prometheus (Debian
 * `prometheus`) scraping a simulated fleet of real processes (fake GitHub, dispatcher, two agents on
 * the tart simulator, one with a real nginx mirror) during a small burst: every panel query returns
 * data, and every rule loads and evaluates.
 *
 * The burst makes each panel's source happen for real: jobs download through the mirror (a miss,
 * then a hit), the second host's tart fails every first clone (a failure by stage and reason; the
 * reconciler retries), and one job asks for labels no pool serves.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFleet, type Fleet } from '../../demo/src/fleet';
import { waitFor } from '../../demo/src/proc';
import { freePort, loopbackHost, startMirror, type Mirror } from '../host-agent/cache/helpers/nginx-harness';
import { startUpstream, type UpstreamServer } from '../host-agent/cache/helpers/upstream-server';
import { startPrometheus, type PromSample, type RunningPrometheus } from '../helpers/prometheus';
import { promtoolCheckMetrics } from '../helpers/promtool';

const root = path.resolve(__dirname, '../..');
const TARBALL = '/left-pad/-/left-pad-1.3.0.tgz';

interface Dashboard {
  __inputs: { name: string; type: string; pluginId: string }[];
  panels: { id: number; title: string; type: string; datasource: { uid: string }; gridPos: object; targets: { expr: string; refId: string; datasource: { uid: string } }[] }[];
}

let fleet: Fleet | undefined;
let prometheus: RunningPrometheus | undefined;
let mirror: Mirror | undefined;
let upstream: UpstreamServer | undefined;
afterEach(async () => {
  await prometheus?.stop();
  await fleet?.close();
  await mirror?.stop();
  await upstream?.close();
  prometheus = fleet = mirror = upstream = undefined;
});

const hostPort = (url: string): string => new URL(url).host;
const finite = (samples: PromSample[]): boolean => samples.some((s) => Number.isFinite(Number(s.value[1])));

describe('the Grafana dashboard and the alert rules on a live fleet', () => {
  it('is importable, every panel query returns data during a burst, and the rules evaluate', async () => {
    const dashboard = JSON.parse(await readFile(path.join(root, 'deploy/grafana/tartfleet.json'), 'utf8')) as Dashboard;
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) for (const t of [p, ...p.targets]) expect(t.datasource.uid).toBe('${DS_PROMETHEUS}');
    const titles = dashboard.panels.map((p) => p.title).join(' | ');
    for (const want of [/Slots by state per host/, /Queue depth per pool/, /Oldest queued job per pool/, /Job start p50 \/ p95 \(warm vs cold\)/, /VM boot time/, /Failures by stage and reason/, /GitHub API budget/, /Cache hit ratio/, /Disk free/]) {
      expect(titles).toMatch(want);
    }

    upstream = await startUpstream({ host: loopbackHost() });
    upstream.objects.set(TARBALL, { body: randomBytes(20_000) });
    // Guests reach the mirror at the .1 address of their own loopback /24, so it listens on all.
    mirror = await startMirror({ upstreams: [{ kind: 'npm', url: upstream.url }], listen: [{ address: '0.0.0.0', port: await freePort('0.0.0.0') }], allowWildcardListen: true });
    const cache = mirror.config;
    fleet = await startFleet({
      root,
      hosts: 2,
      pools: [{ name: 'macos', labels: ['macOS', 'arm64'] }],
      bootMs: 500,
      dispatcher: { intervalMs: 2_000, busyIntervalMs: 500, offlineGraceMs: 10_000, idleGraceMs: 20_000 },
      agentConfig: (i) => (i === 0 ? { cache } : {}),
      agentEnv: (i) => (i === 1 ? { TART_SIM_FAULTS: 'clone-fail@tf-*a0' } : {}),
    });
    const f = fleet;
    prometheus = await startPrometheus({
      jobs: [
        { name: 'tartfleet-agent', targets: f.agents.map((a) => hostPort(a.url)) },
        { name: 'tartfleet-dispatcher', targets: [hostPort(f.dispatcherUrl())] },
      ],
      ruleFiles: [path.join(root, 'deploy/prometheus/rules.yml')],
    });
    const prom = prometheus;
    // Counters start from a scraped zero, so rate() sees the burst.
    await waitFor('both jobs scraped', async () => (await prom.query('sum(up)'))[0]?.value[1] === '3', 15_000, 200);

    // The job: download a tarball twice through the host mirror, when the host has one.
    const script = [
      'set -euo pipefail',
      'if [ -f "$HOME/actions-runner/.env" ]; then set -a; . "$HOME/actions-runner/.env"; set +a; fi',
      `if [ -n "\${npm_config_registry:-}" ]; then for i in 1 2; do curl -fsS -o /dev/null "\${npm_config_registry}${TARBALL.slice(1)}"; done; fi`,
    ].join('\n');
    const { jobIds } = f.github.enqueueRun({ jobs: Array.from({ length: 6 }, (_, i) => ({ name: `build-${i}`, labels: ['self-hosted', 'macOS', 'arm64'], durationMs: 1_500, script })) });
    f.github.enqueueRun({ workflowName: 'Windows', jobs: [{ name: 'win', labels: ['self-hosted', 'windows'], durationMs: 100 }] });
    await waitFor('the burst to complete', () => jobIds.every((id) => f.github.job(id)?.status === 'completed'), 45_000, 200);
    expect(jobIds.map((id) => f.github.job(id)?.conclusion)).toEqual(jobIds.map(() => 'success'));
    expect(upstream.count(TARBALL)).toBe(1);

    // What the real processes expose passes promtool too.
    for (const url of [f.agents[0]!.url, f.dispatcherUrl()]) {
      const check = await promtoolCheckMetrics(await (await fetch(`${url}/metrics`)).text());
      expect({ url, output: check.output }).toEqual({ url, output: '' });
    }

    // Each panel query, polled until a scrape after the burst carries it (or its deadline passes).
    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const ok = await waitFor(`${panel.title} ${target.refId}`, async () => finite(await prom.query(target.expr)), 10_000, 250).catch(() => false);
        if (!ok) empty.push(`${panel.title} [${target.refId}]: ${target.expr}`);
      }
    }
    expect(empty).toEqual([]);

    // Every rule loaded and evaluated without error.
    const ruleFile = parse(await readFile(path.join(root, 'deploy/prometheus/rules.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    const alertNames = ruleFile.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alertNames.length).toBeGreaterThanOrEqual(12);
    const rules = await waitFor(
      'every rule evaluated',
      async () => {
        const all = (await prom.rules()).flatMap((g) => g.rules);
        return all.length === alertNames.length && all.every((r) => r.health === 'ok') ? all : undefined;
      },
      10_000,
      250,
    );
    expect(rules.map((r) => r.name).sort()).toEqual([...alertNames].sort());
    expect(rules.filter((r) => r.lastError)).toEqual([]);
  }, 120_000);
});
