/**
 * The full cycle with a real OpenSSH sshd as the guest's SSH server. The VM is the simulator's (clone,
 * boot, poweroff, delete), but `tart ip` answers with the sshd's address, so the agent's ssh2 client
 * talks to OpenSSH: public-key auth, a pinned host key, the JIT config on stdin, the console streamed
 * back. The session is pointed into the simulated guest's filesystem (HOME, PATH with the guest's
 * power shims) by wrapping the command; the guest's `sudo shutdown -h now` reaches the simulated VM,
 * never the host.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileJournal } from '../../../host-agent/src/journal/journal';
import { createRunnerService, type LifecycleRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { createSsh2RemoteShell, type RemoteShell } from '../../../host-agent/src/ssh/remote-shell';
import type { TartCli } from '../../../host-agent/src/tart/tart-cli';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { createRecordingObserver } from '../../fakes/recording-observer';
import { filesContaining } from '../../helpers/files-containing';
import { startArgvSampler } from '../../helpers/proc-scan';
import { startRealSshd, type RealSshd } from '../../helpers/real-sshd';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';

let env: SimEnv | undefined;
let sshd: RealSshd | undefined;
let service: LifecycleRunnerService | undefined;
afterEach(async () => {
  await service?.shutdown(1_000).catch(() => undefined);
  service = undefined;
  await sshd?.stop();
  sshd = undefined;
  await env?.close();
  env = undefined;
});

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('full cycle with a real OpenSSH sshd as the guest SSH server', () => {
  it('runs the job, powers the guest off and deletes the VM; JIT config only on stdin', async () => {
    env = await createSimEnv();
    const e = env;
    const server = await startRealSshd(path.join(e.root, 'sshd'));
    sshd = server;
    let guestRoot = '';
    const tart: TartCli = {
      ...e.tart,
      async ip(name, waitSeconds, options) {
        await e.tart.ip(name, waitSeconds, options);
        guestRoot = path.join(e.tartHome, 'vms', name, 'guest');
        return server.host;
      },
    } satisfies TartCli;
    const logger = createMemoryLogger();
    const real = createSsh2RemoteShell({ logger });
    const shell: RemoteShell = {
      async connect(options) {
        const session = await real.connect(options);
        return {
          hostKeyFingerprint: session.hostKeyFingerprint,
          close: () => session.close(),
          exec(command, execOptions) {
            const home = path.join(guestRoot, 'Users/admin');
            const pathVar = [`${guestRoot}/sim/bin`, `${guestRoot}/usr/local/bin`, `${home}/.tartfleet`, '/usr/local/bin', '/usr/bin', '/bin'].join(':');
            return session.exec(`cd ${shellQuote(home)} && exec env -i HOME=${shellQuote(home)} USER=admin LOGNAME=admin SHELL=/bin/bash PATH=${shellQuote(pathVar)} /bin/bash -c ${shellQuote(command)}`, execOptions);
          },
        };
      },
    } satisfies RemoteShell;
    const observer = createRecordingObserver();
    const config = e.config({ ssh: { user: server.user, port: server.port, privateKeyFile: '/unused', hostKeyPolicy: 'pinned', hostKeyFingerprint: server.fingerprint } });
    service = createRunnerService({
      config,
      tart,
      shell,
      sshPrivateKey: server.clientKey,
      journal: createFileJournal({ stateDir: config.stateDir, logger }),
      observer,
      logger,
      version: 'test',
    });
    await service.ready;
    const { jobIds } = e.github.enqueueRun({ jobs: [{ name: 'ossh', labels: ['self-hosted', 'macos'], durationMs: 1_000, result: 'failure' }] });
    const name = 'tf-mac-ossh1';
    const jit = await e.mint(name, ['self-hosted', 'macos']);
    const sampler = startArgvSampler(jit);
    service.start({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jit });
    const done = await waitFor('the runner to be gone', () => (service?.get(name)?.stage === 'gone' ? service.get(name) : undefined), 45_000);
    const scan = sampler.stop();

    expect(done.failure).toBeUndefined();
    expect(done.jobResult).toBe('Failed');
    expect(observer.jobs).toEqual(['failed']);
    expect(e.github.job(jobIds[0] ?? -1)).toMatchObject({ status: 'completed', conclusion: 'failure', runnerName: name });
    expect((await e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
    expect(server.log()).toMatch(/Accepted publickey for/);
    expect(scan.hits).toEqual([]);
    expect(logger.text()).not.toContain(jit);
    expect(filesContaining(e.root, jit)).toEqual([]);
  }, 120_000);

  it('refuses a guest whose host key does not match the pinned fingerprint', async () => {
    env = await createSimEnv();
    const e = env;
    const server = await startRealSshd(path.join(e.root, 'sshd'));
    sshd = server;
    const tart: TartCli = {
      ...e.tart,
      async ip(name, waitSeconds, options) {
        await e.tart.ip(name, waitSeconds, options);
        return server.host;
      },
    } satisfies TartCli;
    const logger = createMemoryLogger();
    const observer = createRecordingObserver();
    const config = e.config({ ssh: { user: server.user, port: server.port, hostKeyPolicy: 'pinned', hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    service = createRunnerService({ config, tart, shell: createSsh2RemoteShell({ logger }), sshPrivateKey: server.clientKey, journal: createFileJournal({ stateDir: config.stateDir, logger }), observer, logger, version: 'test' });
    await service.ready;
    const name = 'tf-mac-pin1';
    service.start({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: await e.mint(name, ['self-hosted', 'macos']) });
    const done = await waitFor('the runner to be gone', () => (service?.get(name)?.stage === 'gone' ? service.get(name) : undefined), 45_000);
    expect(done.failure).toMatchObject({ stage: 'booting', reason: 'ssh-failed' });
    expect(done.failure?.message).toMatch(/does not match the pinned fingerprint/);
    expect((await e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
  }, 120_000);
});
