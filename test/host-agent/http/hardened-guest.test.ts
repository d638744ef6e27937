/**
 * The hardened image path end to end: an image whose sshd the real packer/scripts/harden-sshd.sh
 * locked to the agent's key, an agent (serve) with key auth and the image's host key pinned (the
 * defaults), and the same image refusing an agent that still tries the image's password.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { sshKeyPair } from '../../sim/src/ssh-key-pair';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { createRecordingObserver } from '../../fakes/recording-observer';
import { hardenGuest } from '../../helpers/harden-guest';
import { serveOnSim, type ServingAgent } from '../../helpers/serve-on-sim';
import { createSimEnv, simHostKeyFingerprint, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';

const SECRET = 'hardened-guest-secret'.padEnd(48, '5');
const LABELS = ['self-hosted', 'macos'];
let env: SimEnv | undefined;
let agent: ServingAgent | undefined;
let service: LifecycleRunnerService | undefined;
afterEach(async () => {
  await agent?.stop().catch(() => undefined);
  await service?.shutdown(1_000).catch(() => undefined);
  await env?.close();
  [agent, service, env] = [undefined, undefined, undefined];
});

async function hardenedEnv(): Promise<{ e: SimEnv; keyFile: string }> {
  const e = await createSimEnv();
  env = e;
  const key = sshKeyPair('tartfleet-agent');
  hardenGuest(path.join(e.tartHome, 'vms', 'base', 'guest'), key.public);
  const keyFile = path.join(e.root, 'agent_ed25519');
  writeFileSync(keyFile, key.private, { mode: 0o600 });
  return { e, keyFile };
}

describe('a hardened image: key-only SSH, pinned host key', () => {
  it('runs a job with the agent key and the pinned image host key (no password configured)', async () => {
    const { e, keyFile } = await hardenedEnv();
    const config = e.config({ ssh: { user: 'admin', privateKeyFile: keyFile, hostKeyFingerprint: simHostKeyFingerprint(e.tartHome, 'base') } });
    expect(config.ssh).toMatchObject({ hostKeyPolicy: 'pinned' });
    expect(config.ssh.password).toBeUndefined();
    agent = await serveOnSim(e, config, SECRET);
    const { jobIds } = e.github.enqueueRun({ jobs: [{ name: 'build', labels: LABELS, durationMs: 1_000 }] });
    const name = 'tf-mac-hard1';
    await agent.client.startRunner({ name, pool: 'mac', labels: LABELS, jitConfig: await e.mint(name, LABELS), jobId: jobIds[0] });
    const client = agent.client;
    const done = await waitFor('the runner to end', async () => {
      const r = await client.getRunner(name);
      return r?.stage === 'gone' || r?.stage === 'failed' ? r : undefined;
    }, 60_000, 200);
    expect(done).toMatchObject({ stage: 'gone', jobResult: 'Succeeded' });
    expect(done.failure).toBeUndefined();
    expect(agent.logs()).not.toContain('accepted an unpinned SSH host key');
    expect(agent.logs()).not.toContain('ssh.password is set');
  }, 120_000);

  it('an agent still configured with the image password is refused at SSH, and the VM is torn down', async () => {
    const { e } = await hardenedEnv();
    const logger = createMemoryLogger();
    service = e.service({ config: e.config(), logger, observer: createRecordingObserver() });
    await service.ready;
    const name = 'tf-mac-hard2';
    service.start({ name, pool: 'mac', labels: LABELS, jitConfig: await e.mint(name, LABELS) });
    const done = await waitFor('the runner to be gone', () => (service?.get(name)?.stage === 'gone' ? service.get(name) : undefined), 60_000);
    expect(done.failure).toMatchObject({ stage: 'booting', reason: 'ssh-failed' });
    expect(done.failure?.message).toMatch(/authentication as 'admin' was refused/);
    expect((await e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
  }, 120_000);
});
