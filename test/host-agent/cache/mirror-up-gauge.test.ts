/**
 * `runner_cache_mirror_up` against the real nginx mirror: 1 while it answers, 0 once it is stopped.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock';
import { checkMirrorHealth } from '../../../host-agent/src/cache/check-mirror-health';
import { registerMirrorUpGauge } from '../../../host-agent/src/cache/mirror-up-gauge';
import { createFakeClock } from '../../fakes/fake-clock';
import { sample } from '../../helpers/promtool';
import { startMirror, type Mirror } from './helpers/nginx-harness';

let mirror: Mirror | undefined;
afterEach(async () => {
  await mirror?.stop();
  mirror = undefined;
});

describe('runner_cache_mirror_up', () => {
  it('is 1 while nginx answers and 0 after it stopped, checked at most once per cache period', async () => {
    mirror = await startMirror({});
    const config = mirror.config;
    const clock = createFakeClock({ start: 1_000_000 });
    const registry = new Registry();
    let checks = 0;
    registerMirrorUpGauge(registry, {
      check: () => {
        checks++;
        return checkMirrorHealth(config, fetch, 3_000, systemClock);
      },
      clock,
      cacheMs: 15_000,
    });
    expect(sample(await registry.metrics(), 'runner_cache_mirror_up')).toBe(1);
    await mirror.stop();
    mirror = undefined;
    expect(sample(await registry.metrics(), 'runner_cache_mirror_up')).toBe(1);
    expect(checks).toBe(1);
    clock.advance(15_000);
    expect(sample(await registry.metrics(), 'runner_cache_mirror_up')).toBe(0);
    expect(checks).toBe(2);
  });
});
