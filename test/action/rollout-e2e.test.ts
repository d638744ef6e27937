/**
 * Modes `rollout` and `rollback` of the action, run as GitHub runs it (`node dist/main.js` with
 * INPUT_* and the command files), against three real agent processes on the tart simulator sharing
 * one secret and one directory registry (TART_SIM_REGISTRY, standing in for ghcr.io). Images are
 * built and pushed with the simulator, pulled by the agents, smoke-tested in real simulated VMs
 * (the guest runs packer/guest/smoke-test.sh over SSH) and switched per pool.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../demo/src/fleet';
import { waitFor } from '../../demo/src/proc';
import { createAgentClient, type AgentClient, type AgentImageClient } from '../../core/agent-api/client';
import type { ImageList } from '../../core/agent-api/contract';
import { parseCommandFile } from '../helpers/command-file';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const tart = path.join(root, 'test/sim/bin/tart');
const REPO = 'ghcr.io/acme/tartfleet-runner';
const SECRET = 's'.repeat(48);
/** Rollout and rollback are fleet operations: the action holds the agents' admin secret. */
const ADMIN_SECRET = 'a'.repeat(48);

let fleet: Fleet;
let work: string;
let registry: string;
let builder: NodeJS.ProcessEnv;
let clients: (AgentClient & AgentImageClient)[];

/** Builds an image with the simulator (optionally breaking it) and pushes it to the shared registry. */
async function pushImage(tag: string, breakIt?: (guestHome: string) => void): Promise<string> {
  const vm = `img-${tag}`;
  await exec(tart, ['create', vm, '--from-ipsw', 'latest'], { env: builder });
  breakIt?.(path.join(builder.TART_HOME as string, 'vms', vm, 'guest/Users/admin'));
  await exec(tart, ['push', vm, `${REPO}:${tag}`], { env: builder });
  return `${REPO}:${tag}`;
}

interface StepResult {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

async function action(inputs: Record<string, string>): Promise<StepResult> {
  const dir = mkdtempSync(path.join(work, 'step-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' };
  for (const f of Object.values(files)) writeFileSync(path.join(dir, f), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    RUNNER_TEMP: dir,
    GITHUB_RUN_ID: '8001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'acme/app',
    ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, path.join(dir, f)])),
    ...Object.fromEntries(
      Object.entries({ hosts: fleet.agents.map((a) => a.url).join('\n'), 'admin-secret': ADMIN_SECRET, pool: 'macos', ...inputs }).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
    ),
  };
  const { code, stdout } = await exec(process.execPath, [path.join(root, 'dist/main.js')], { env, timeout: 240_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (error: unknown) => {
      const e = error as { code?: number; stdout?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '' };
    },
  );
  return { code, stdout, outputs: parseCommandFile(path.join(dir, 'output')), summary: readFileSync(path.join(dir, 'summary'), 'utf8') };
}

const pools = async (): Promise<{ current: string; previous: string | null }[]> =>
  Promise.all(clients.map(async (c) => {
    const p = (await c.listImages()).pools.find((x) => x.pool === 'macos');
    return { current: p?.current ?? '', previous: p?.previous ?? null };
  }));

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tf-rollout-e2e-'));
  registry = path.join(work, 'registry');
  mkdirSync(path.join(work, 'builder'), { recursive: true });
  builder = { ...process.env, TART_HOME: path.join(work, 'builder'), TART_SIM_REGISTRY: registry };
  fleet = await startFleet({
    root,
    hosts: 3,
    pools: [{ name: 'macos', labels: ['macOS'] }],
    bootMs: 600,
    sharedSecret: SECRET,
    sharedAdminSecret: ADMIN_SECRET,
    agentEnv: () => ({ TART_SIM_REGISTRY: registry }),
    // Prune whenever possible, whatever this machine's free disk: what must stay, stays.
    agentConfig: () => ({ images: { pruneBelowFreeBytes: 1e15, freeMarginBytes: 1e9 } }),
  });
  clients = fleet.agents.map((a) => createAgentClient({ baseUrl: a.url, secret: ADMIN_SECRET, timeoutMs: 60_000 }));
}, 180_000);

afterAll(async () => {
  const left = await fleet?.close();
  rmSync(work, { recursive: true, force: true });
  expect(left?.processes ?? []).toEqual([]);
  expect(left?.vmsAfterStop ?? []).toEqual([]);
}, 120_000);

describe('rollout and rollback across a simulated fleet', () => {
  it('rolls out to the canary first, then the rest in batches; every pool clones the new image, the old one kept', async () => {
    const v2 = await pushImage('v2');
    const r = await action({ mode: 'rollout', image: v2, 'batch-size': '1', 'canary-host': fleet.agents[1]!.url });
    expect(r.stdout).not.toContain('::error::');
    expect(r.code).toBe(0);
    const [u1, u2, u3] = fleet.agents.map((a) => a.url);
    // Canary (host 2) alone, then one host per batch, in order.
    const order = [...r.stdout.matchAll(/rollout of \S+ to pool 'macos': (canary|batch \d+) \(?([^)\n]+)\)?/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(order).toEqual([`canary ${u2}`, `batch 1 ${u1}`, `batch 2 ${u3}`]);
    const status = JSON.parse(r.outputs.status ?? '[]') as { host: string; step: string; ok: boolean; current: string; previous: string }[];
    expect(status.map((s) => [s.host, s.step, s.ok, s.current, s.previous])).toEqual([u2, u1, u3].map((h) => [h, 'switched', true, v2, 'base-macos']));
    expect(r.summary).toContain(`### tartfleet rollout of ${v2}: done`);
    expect(r.stdout).toMatch(/smoke test passed in [\d.]+ s\nok: runner installed at \/.*actions-runner\/run.sh/);
    // The agents' pull timestamps agree: the canary finished pulling before anyone else started.
    const pulls = await Promise.all(clients.map(async (c) => (await c.listImages()).pull));
    expect(pulls.every((p) => p?.image === v2 && p.state === 'done')).toBe(true);
    expect(Date.parse(pulls[1]!.finishedAt!)).toBeLessThanOrEqual(Date.parse(pulls[0]!.startedAt));
    expect(Date.parse(pulls[0]!.finishedAt!)).toBeLessThanOrEqual(Date.parse(pulls[2]!.startedAt));
    expect(await pools()).toEqual([0, 1, 2].map(() => ({ current: v2, previous: 'base-macos' })));
    // GET /v1/host reports the switched image too.
    expect((await clients[0]!.host()).pools[0]?.image).toBe(v2);
  }, 300_000);

  it('a canary whose smoke test fails stops the rollout before any other host pulls', async () => {
    const broken = await pushImage('broken', (home) => rmSync(path.join(home, 'actions-runner/run.sh')));
    const r = await action({ mode: 'rollout', image: broken });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`::error::rollout of ${broken} stopped at the canary ${fleet.agents[0]!.url}: ${fleet.agents[0]!.url} failed at smoke: smoke test of ${broken} failed on ${fleet.agents[0]!.url}: FAIL: expected the GitHub Actions runner at`);
    expect(r.stdout).toContain('Switched: none; every other host keeps its old image');
    expect(r.summary).toContain('stopped');
    expect(await pools()).toEqual([0, 1, 2].map(() => ({ current: `${REPO}:v2`, previous: 'base-macos' })));
    const others = await Promise.all(clients.slice(1).map(async (c) => (await c.listImages()).images.map((i) => i.name)));
    for (const names of others) expect(names).not.toContain(broken);
    // No smoke VM is left behind.
    expect([...(await fleet.vms()).values()].flat()).toEqual([]);
  }, 300_000);

  it('a failing smoke test on a later host stops there: its batch is not switched, the canary keeps the new image', async () => {
    const v3 = await pushImage('v3');
    // Host 3's smoke VM cannot be cloned (its disk is "full"): the simulator re-reads this file.
    const faults = path.join(fleet.agents[2]!.tartHome, '.sim', 'faults');
    mkdirSync(path.dirname(faults), { recursive: true });
    writeFileSync(faults, 'clone-fail@tfsmoke-*\n');
    try {
      const r = await action({ mode: 'rollout', image: v3, 'batch-size': '2' });
      expect(r.code).not.toBe(0);
      const [u1, u2, u3] = fleet.agents.map((a) => a.url);
      expect(r.stdout).toContain(`::error::rollout of ${v3} stopped at the batch 1 (${u2}, ${u3}): ${u3} failed at smoke`);
      expect(r.stdout).toContain(`Switched: ${u1}; every other host keeps its old image`);
      const status = JSON.parse(r.outputs.status ?? '[]') as { host: string; step: string; ok?: boolean }[];
      expect(status.map((s) => [s.host, s.step, s.ok ?? null])).toEqual([[u1, 'switched', true], [u2, 'smoke', null], [u3, 'smoke', false]]);
    } finally {
      rmSync(faults, { force: true });
    }
    expect(await pools()).toEqual([{ current: v3, previous: `${REPO}:v2` }, { current: `${REPO}:v2`, previous: 'base-macos' }, { current: `${REPO}:v2`, previous: 'base-macos' }]);
  }, 300_000);

  it('rollback switches each pool back to its previous image (one host, or all)', async () => {
    const one = await action({ mode: 'rollback', host: fleet.agents[0]!.url });
    expect(one.code).toBe(0);
    expect((await pools())[0]).toEqual({ current: `${REPO}:v2`, previous: `${REPO}:v3` });
    const all = await action({ mode: 'rollback' });
    expect(all.code).toBe(0);
    expect(await pools()).toEqual([{ current: `${REPO}:v3`, previous: `${REPO}:v2` }, { current: 'base-macos', previous: `${REPO}:v2` }, { current: 'base-macos', previous: `${REPO}:v2` }]);
    expect(all.summary).toContain('### tartfleet rollback of pool macos');
  }, 120_000);

  it('refuses the prefetch on low disk with a clear error, on the canary, before anything changes', async () => {
    const before = await pools();
    const r = await action({ mode: 'rollout', image: `${REPO}:v2`, 'image-size-bytes': String(1e15) });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(new RegExp(`::error::rollout of ${REPO}:v2 stopped at the canary .*failed at pull: POST .*/v1/images/pull: not enough free disk on host mini-1 to pull '${REPO}:v2': [\\d.]+ GB free under .*, need 1000000\\.0 GB for the image \\(as given in the request\\) plus a margin of 1\\.0 GB \\(images\\.freeMarginBytes\\)`));
    expect(await pools()).toEqual(before);
  }, 120_000);

  it('pruning never removes an image a pool uses or a running VM was cloned from', async () => {
    const c = clients[0]!;
    // Host 1 now clones v3 (previous v2). A runner starts from v3 and stays idle (no job for it).
    const jit = (await (
      await fetch(`${fleet.github.url}/repos/acme/app/actions/runners/generate-jitconfig`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'tf-macos-prune1', runner_group_id: 1, labels: ['self-hosted', 'prune-test'] }),
      })
    ).json()) as { encoded_jit_config: string };
    await c.startRunner({ name: 'tf-macos-prune1', pool: 'macos', labels: ['prune-test'], jitConfig: jit.encoded_jit_config });
    await waitFor('the runner online', async () => (await c.getRunner('tf-macos-prune1'))?.stage === 'online', 60_000, 200);

    // Two more images: v3 is then neither current nor previous, only the runner's.
    const v4 = await pushImage('v4');
    const v5 = await pushImage('v5');
    for (const image of [v4, v5]) {
      await c.pullImage({ image, sizeBytes: 0 });
      await waitFor(`${image} pulled`, async () => (await c.listImages()).pull?.state === 'done', 60_000, 200);
      await c.setPoolImage('macos', image);
    }
    await c.pruneImages();
    let listed: ImageList = await c.listImages();
    const names = listed.images.map((i) => i.name);
    expect(listed.pools.find((p) => p.pool === 'macos')).toEqual({ pool: 'macos', current: v5, previous: v4 });
    for (const kept of [v5, v4, `${REPO}:v3`]) expect(names).toContain(kept);
    expect(listed.images.find((i) => i.name === `${REPO}:v3`)).toMatchObject({ inUse: true, usedBy: ['runner tf-macos-prune1'] });
    // v2 was used by nobody any more: pruned (the machine's disk is "low" for this config).
    expect(names).not.toContain(`${REPO}:v2`);

    // The runner goes: its image is no longer protected.
    await c.cancelRunner('tf-macos-prune1');
    await waitFor('the runner gone', async () => (await c.getRunner('tf-macos-prune1'))?.stage === 'gone', 60_000, 200);
    const pruned = await c.pruneImages();
    expect(pruned.removed).toContain(`${REPO}:v3`);
    listed = await c.listImages();
    expect(listed.images.filter((i) => i.source === 'oci').every((i) => i.inUse)).toBe(true);
    expect(listed.images.map((i) => i.name)).toEqual(expect.arrayContaining([v4, v5]));
  }, 300_000);
});
