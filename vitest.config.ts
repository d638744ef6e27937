import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Many suites start real processes (simulated VMs, sshd, nginx); two cores do not like more.
    pool: 'forks',
    maxWorkers: 2,
  },
});
