/** Modes rollout and rollback over fake agents: order, batching, stopping rules, inputs, workflow. */
import { createFakeClock } from '../fakes/fake-clock';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import type { AgentImageClient } from '../../core/agent-api/client';
import { AgentClientError } from '../../core/agent-api/client';
import type { PullStatus } from '../../core/agent-api/contract';
import type { ActionCore } from '../../action-src/core';
import { parseInputs } from '../../action-src/inputs';
import { rollback, rollout } from '../../action-src/rollout';

const SECRET = 'x'.repeat(40);
const HOSTS = ['https://m1:8420', 'https://m2:8420', 'https://m3:8420', 'https://m4:8420'];
const IMAGE = 'ghcr.io/acme/runner:v2';

function fakeCore(inputs: Record<string, string>): ActionCore & { outputs: Record<string, string>; log: string[]; summaries: string[] } {
  const outputs: Record<string, string> = {};
  const log: string[] = [];
  const summaries: string[] = [];
  return {
    outputs,
    log,
    summaries,
    getInput: (name) => inputs[name] ?? '',
    setSecret: () => {},
    setOutput: (n, v) => (outputs[n] = v),
    saveState: () => {},
    getState: () => '',
    debug: () => {},
    info: (m) => log.push(m),
    warning: (m) => log.push(`warning: ${m}`),
    summary: async (m) => {
      summaries.push(m);
    },
  };
}

type Ops = Pick<AgentImageClient, 'pullImage' | 'listImages' | 'smokeImage' | 'setPoolImage' | 'rollbackPool'>;

/** A fleet of fake agents recording every call as `host op`. */
function fakeFleet(options: { smokeFails?: string; pullFails?: string; pullPolls?: number } = {}) {
  const calls: string[] = [];
  const agents = new Map<string, Ops>();
  for (const host of HOSTS) {
    let polls = 0;
    let pull: PullStatus | null = null;
    const pools = { current: 'base', previous: null as string | null };
    agents.set(host, {
      async pullImage(req) {
        calls.push(`${host} pull ${req.sizeBytes ?? '-'}`);
        if (options.pullFails === host) throw new AgentClientError(507, 'insufficient_storage', `POST ${host}/v1/images/pull: not enough free disk`);
        pull = { image: req.image, state: 'pulling', startedAt: 'now' };
        return { ...pull };
      },
      async listImages() {
        polls += 1;
        if (pull && polls >= (options.pullPolls ?? 1)) pull = { ...pull, state: 'done' };
        return { images: [], pools: [{ pool: 'macos', ...pools }], pull, freeBytes: 0 };
      },
      async smokeImage(image) {
        calls.push(`${host} smoke`);
        const ok = options.smokeFails !== host;
        return { image, ok, output: ok ? 'smoke-test: passed' : 'ok: sudo\nFAIL: expected the GitHub Actions runner at /x/run.sh, found nothing', seconds: 1.5 };
      },
      async setPoolImage(_pool, image) {
        calls.push(`${host} switch`);
        pools.previous = pools.current;
        pools.current = image;
        return { pool: 'macos', ...pools };
      },
      async rollbackPool() {
        calls.push(`${host} rollback`);
        if (pools.previous === null) throw new AgentClientError(409, 'conflict', "pool 'macos' has no previous image");
        [pools.current, pools.previous] = [pools.previous, pools.current];
        return { pool: 'macos', ...pools };
      },
    });
  }
  return { calls, agents };
}

const deps = (core: ReturnType<typeof fakeCore>, agents: Map<string, Ops>) => ({ inputs: parseInputs(core), core, agents, clock: createFakeClock({ autoAdvance: true }) });
// Fleet operations hold the admin secret only (per-run workflows hold the runner one).
const inputsFor = (extra: Record<string, string>) => ({ hosts: HOSTS.join(','), 'admin-secret': SECRET, mode: 'rollout', image: IMAGE, ...extra });

describe('rollout', () => {
  it('does the canary alone, then batches; within a batch every host pulls, then smokes, then switches', async () => {
    const fleet = fakeFleet({ pullPolls: 3 });
    const core = fakeCore(inputsFor({ 'canary-host': HOSTS[2]!, 'image-size-bytes': '64000000000' }));
    const rows = await rollout(deps(core, fleet.agents));
    expect(fleet.calls).toEqual([
      `${HOSTS[2]} pull 64000000000`, `${HOSTS[2]} smoke`, `${HOSTS[2]} switch`,
      `${HOSTS[0]} pull 64000000000`, `${HOSTS[1]} pull 64000000000`, `${HOSTS[0]} smoke`, `${HOSTS[1]} smoke`, `${HOSTS[0]} switch`, `${HOSTS[1]} switch`,
      `${HOSTS[3]} pull 64000000000`, `${HOSTS[3]} smoke`, `${HOSTS[3]} switch`,
    ]);
    expect(rows.every((r) => r.step === 'switched' && r.ok && r.current === IMAGE && r.previous === 'base')).toBe(true);
    expect(JSON.parse(core.outputs.status ?? '[]')).toHaveLength(4);
    expect(core.summaries.join('')).toContain(`### tartfleet rollout of ${IMAGE}: done`);
  });

  it('a failed smoke stops the batch before anyone in it switches; later hosts are not touched', async () => {
    const fleet = fakeFleet({ smokeFails: HOSTS[2] });
    const core = fakeCore(inputsFor({}));
    const error = await rollout(deps(core, fleet.agents)).then(() => new Error('expected a failure'), (e: unknown) => e as Error);
    expect(error.message).toBe(
      `rollout of ${IMAGE} stopped at the batch 1 (${HOSTS[1]}, ${HOSTS[2]}): ${HOSTS[2]} failed at smoke: smoke test of ${IMAGE} failed on ${HOSTS[2]}: FAIL: expected the GitHub Actions runner at /x/run.sh, found nothing. Switched: ${HOSTS[0]}; every other host keeps its old image`,
    );
    expect(fleet.calls.filter((c) => c.endsWith('switch'))).toEqual([`${HOSTS[0]} switch`]);
    expect(fleet.calls.some((c) => c.startsWith(HOSTS[3]!))).toBe(false);
    const status = JSON.parse(core.outputs.status ?? '[]') as { host: string; step: string; ok?: boolean }[];
    expect(status.map((s) => [s.step, s.ok ?? null])).toEqual([['switched', true], ['smoke', null], ['smoke', false], ['waiting', null]]);
    expect(core.summaries.join('')).toContain('failed at smoke');
  });

  it('a refused pull on the canary stops everything with the agent\'s reason', async () => {
    const fleet = fakeFleet({ pullFails: HOSTS[0] });
    const error = await rollout(deps(fakeCore(inputsFor({})), fleet.agents)).then(() => new Error('expected a failure'), (e: unknown) => e as Error);
    expect(error.message).toContain(`stopped at the canary ${HOSTS[0]}: ${HOSTS[0]} failed at pull: POST ${HOSTS[0]}/v1/images/pull: not enough free disk. Switched: none`);
    expect(fleet.calls).toEqual([`${HOSTS[0]} pull -`]);
  });

  it('rollback: every host, or only `host`; a host without a previous image fails the step, named', async () => {
    const fleet = fakeFleet();
    await rollout(deps(fakeCore(inputsFor({})), fleet.agents));
    const one = fakeCore(inputsFor({ mode: 'rollback', host: HOSTS[1]! }));
    expect((await rollback(deps(one, fleet.agents))).map((r) => [r.host, r.current])).toEqual([[HOSTS[1], 'base']]);
    const all = fakeCore(inputsFor({ mode: 'rollback' }));
    // Host 2's pool went back already; rolling back again returns it to the new image.
    await rollback(deps(all, fleet.agents));
    const status = JSON.parse(all.outputs.status ?? '[]') as { host: string; current: string }[];
    expect(status.map((s) => s.current)).toEqual(['base', IMAGE, 'base', 'base']);
    const fresh = fakeFleet();
    const failed = await rollback(deps(fakeCore(inputsFor({ mode: 'rollback' })), fresh.agents)).then(() => new Error('expected a failure'), (e: unknown) => e as Error);
    expect(failed.message).toContain(`rollback of pool 'macos' failed on ${HOSTS[0]}: pool 'macos' has no previous image`);
  });
});

describe('rollout inputs', () => {
  it.each([
    [{ image: '' }, "Input 'image' is required for mode 'rollout' (the image to roll out, e.g. ghcr.io/acme/runner:20260101-7), got nothing"],
    [{ image: 'runner v2' }, "Input 'image' must be an OCI reference like ghcr.io/acme/runner:tag or ghcr.io/acme/runner@sha256:<hex>, got 'runner v2'"],
    [{ image: 'localvm' }, "Input 'image' must be an OCI reference like ghcr.io/acme/runner:tag or ghcr.io/acme/runner@sha256:<hex>, got 'localvm'"],
    [{ 'image-size-bytes': '64GB' }, "Input 'image-size-bytes' must be a whole number of bytes (e.g. 64000000000), got '64GB'"],
    [{ 'batch-size': '0' }, "Input 'batch-size' must be a whole number from 1 to 50, got '0'"],
    [{ 'canary-host': 'https://elsewhere:8420' }, `Input 'canary-host' must be one of ${HOSTS.join(', ')}, got 'https://elsewhere:8420'`],
    [{ mode: 'rollback', host: 'https://elsewhere:8420' }, `Input 'host' must be one of ${HOSTS.join(', ')}, got 'https://elsewhere:8420'`],
  ])('%o → %s', (extra, message) => {
    expect(() => parseInputs(fakeCore(inputsFor(extra)))).toThrow(message);
  });

  it('defaults: batch of 2, canary the first host, no size; rollout needs no GitHub credentials', () => {
    expect(parseInputs(fakeCore(inputsFor({})))).toMatchObject({ mode: 'rollout', image: IMAGE, batchSize: 2, canaryHost: HOSTS[0], imageSizeBytes: undefined, githubAuth: undefined, pullTimeoutSeconds: 3600 });
  });
});

describe('build-image.yml', () => {
  it('ends with a rollout job that uses this action with the pushed image', () => {
    const wf = YAML.parse(readFileSync(path.resolve(__dirname, '../../.github/workflows/build-image.yml'), 'utf8')) as {
      jobs: Record<string, { needs?: string; environment?: string; steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    const names = Object.keys(wf.jobs);
    const last = wf.jobs[names[names.length - 1]!]!;
    expect(last.needs).toBe('build');
    const step = last.steps.find((s) => s.uses === './');
    expect(step?.with).toMatchObject({ mode: 'rollout', image: '${{ needs.build.outputs.image }}', hosts: '${{ vars.TARTFLEET_HOSTS }}', 'admin-secret': '${{ secrets.TARTFLEET_AGENT_ADMIN_SECRET }}' });
    expect(step?.with).not.toHaveProperty('agent-secret');
    // The admin secret lives in a protected environment: only approved runs of this job read it.
    expect(last.environment).toBe('tartfleet-admin');
  });
});
