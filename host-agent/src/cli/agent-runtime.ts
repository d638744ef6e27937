/**
 * The real collaborators of `serve` and `doctor`, built from the loaded config. Kept in one place so
 * main.ts only wires and tests can hand `runCli` fakes instead.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { AgentConfig } from '../config/schema';
import { createFileJournal } from '../journal/journal';
import { createRunnerService } from '../lifecycle/runner-service';
import { createMetrics, type AgentMetrics } from '../metrics/create-metrics';
import type { RunnerService } from '../service';
import { createSsh2RemoteShell } from '../ssh/remote-shell';
import type { RemoteShell } from '../ssh/remote-shell';
import { createTartCli, type TartCli } from '../tart/tart-cli';
import { DEFAULT_VM_NETWORK, type VmNetwork } from '../tart/vm-network';
import { parseName } from '../../../core/names';
import type { Clock } from '../../../core/clock';
import type { Logger } from '../../../core/logger';
import { AGENT_VERSION } from './version';
import { createImageService, type ImageService } from '../images/image-service';
import { openPoolImageStore, type PoolImageStore } from '../images/pool-image-store';
import type { LifecycleRunnerService } from '../lifecycle/runner-service';
import { freeBytes } from './free-bytes';
import { poolImageFacts } from '../images/image-facts';
import { registerHostGauges } from '../metrics/host-gauges';
import type { ReplayFloor } from '../../../core/agent-api/auth';
import { openReplayFloor } from '../state/replay-floor';
import { slotCallbackFor } from '../slot-callback/slot-callback-for-config';
import type { SlotFreeNotifier } from '../slot-callback/slot-free-notifier';

/** What `serve` runs on. */
export interface ServeRuntime {
  service: RunnerService;
  registry: Registry;
  metrics: AgentMetrics;
  /** Image pulls, pool image switches, pruning and smoke tests (rollout). */
  images?: ImageService;
  /** Replay protection that outlives a restart (stateDir/replay-floor). */
  replayFloor?: ReplayFloor;
}

/** The tart driver for this config (TART_BIN / TART_HOME already folded in by the loader). */
export function createTartForConfig(config: Readonly<AgentConfig>, logger: Logger, clock: Clock): ReturnType<typeof createTartCli> {
  // A VM's name says its pool (`tf-<pool>-<id>`); any other VM (a smoke test's) gets the default isolation.
  const networks = new Map(config.pools.map((pool) => [pool.name, pool.network]));
  const networkFor = (vmName: string): VmNetwork => networks.get(parseName(vmName)?.pool ?? '') ?? DEFAULT_VM_NETWORK;
  return createTartCli({ bin: config.tart.bin, ...(config.tart.home === undefined ? {} : { home: config.tart.home }), logger, clock, networkFor });
}

/** The SSH client used for guests. */
export function createShell(logger: Logger, clock: Clock): RemoteShell {
  return createSsh2RemoteShell({ logger, clock });
}

/** TART_HOME as tart resolves it: the configured one, else ~/.tart. */
export function effectiveTartHome(config: Readonly<AgentConfig>): string {
  return config.tart.home ?? path.join(os.homedir(), '.tart');
}

/** Registry, metrics and the runner service for `serve`. */
export function buildServeRuntime(config: Readonly<AgentConfig>, logger: Logger, clock: Clock): ServeRuntime {
  const registry = new Registry();
  const metrics = createMetrics(registry, { hostId: config.hostId, pools: config.pools.map((p) => p.name) });
  const tart = createTartForConfig(config, logger, clock);
  const shell = createShell(logger, clock);
  const store = openPoolImageStore(config.stateDir, config.pools, { logger, now: () => clock.now() });
  const sshPrivateKey = config.ssh.privateKeyFile === undefined ? undefined : readFileSync(config.ssh.privateKeyFile, 'utf8');
  // The callback reads the service's counts and the service calls the callback (never before it
  // exists: slots free only after asynchronous teardowns).
  const service: LifecycleRunnerService = buildRunnerService({ config, logger, clock, observer: metrics.observer, tart, shell, poolImages: store, sshPrivateKey, slotFreed: () => slotCallback?.slotFreed() });
  const slotCallback: SlotFreeNotifier | undefined = slotCallbackFor(config, { fetch: globalThis.fetch.bind(globalThis), clock, logger, freeSlots: () => service.slotCounts().free, counted: metrics.slotCallback });
  const smokeLogs = path.join(config.stateDir, 'vm-logs');
  const images = createImageService({
    config,
    tart,
    shell,
    store,
    tartHome: effectiveTartHome(config),
    freeBytes,
    activeVms: () => service.activeVms(),
    poolImageSwitched: () => service.poolImageSwitched(),
    reserveSlot: () => service.reserveSlot(),
    clock,
    logger,
    ...(sshPrivateKey === undefined ? {} : { sshPrivateKey }),
    logFileOf: (vm) => path.join(smokeLogs, `${vm}.log`),
  });
  void images.cleanupLeftovers();
  const tartHome = effectiveTartHome(config);
  registerHostGauges(registry, {
    freeBytes: () => freeBytes(tartHome),
    freeMarginBytes: config.images.freeMarginBytes,
    poolImages: () => poolImageFacts({ tartHome, tart, store, pools: config.pools }),
    clock,
    onError: (message) => logger.warn({}, message),
  });
  const replayFloor = openReplayFloor({ stateDir: config.stateDir, nowMs: clock.now(), logger });
  return { service, registry, metrics, images, replayFloor };
}

interface RunnerServiceInputs {
  config: Readonly<AgentConfig>;
  logger: Logger;
  clock: Clock;
  observer: AgentMetrics['observer'];
  tart: TartCli;
  shell: RemoteShell;
  poolImages?: PoolImageStore;
  sshPrivateKey: string | undefined;
  slotFreed: () => void;
}

/** The lifecycle's RunnerService over the on-disk journal in `stateDir`. */
function buildRunnerService(inputs: RunnerServiceInputs): LifecycleRunnerService {
  const { config, logger } = inputs;
  return createRunnerService({
    config,
    tart: inputs.tart,
    shell: inputs.shell,
    journal: createFileJournal({ stateDir: config.stateDir, logger }),
    observer: inputs.observer,
    logger,
    version: AGENT_VERSION,
    clock: inputs.clock,
    slotFreed: inputs.slotFreed,
    ...(inputs.poolImages === undefined ? {} : { poolImages: inputs.poolImages }),
    ...(inputs.sshPrivateKey === undefined ? {} : { sshPrivateKey: inputs.sshPrivateKey }),
  });
}
