import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run three at a time on this project's two-core CI machines: the suites with real
    // processes (simulated VMs, sshd, nginx, whole fleets) spend much of their time waiting on them,
    // so a third file keeps both cores busy (a full run here: 385 s with two, 289–298 s with three). The
    // lifecycle's own deadlines run on a fake clock in unit tests; what runs in real time polls with
    // generous deadlines.
    pool: 'forks',
    maxWorkers: 3,
  },
});
