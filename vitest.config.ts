import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run two at a time (this project's CI machines have two cores). Three were faster here
    // (289–298 s against 385 s) but, in a fresh clone, two timing-bound end-to-end tests failed under
    // the extra load. The lifecycle's own deadlines run on a fake clock in unit tests; what still runs
    // in real time (simulated VMs, sshd, nginx, whole fleets) polls with generous deadlines.
    pool: 'forks',
    maxWorkers: 2,
  },
});
