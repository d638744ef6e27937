import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Many suites start real processes (simulated VMs, sshd, nginx, whole fleets) and time them; two
    // such suites side by side on two cores made deadline-based tests flaky, so files run one at a time.
    pool: 'forks',
    maxWorkers: 1,
  },
});
