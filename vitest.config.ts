import { defineConfig } from 'vitest/config';

// The tests talk to loopback only, and whatever speaks TLS there brings its own CA. Node reading
// an extra CA bundle (NODE_EXTRA_CA_CERTS, set on some CI machines) costs ~40 ms of CPU per process
// start, and a run starts thousands (test files, agents, dispatchers, fake GitHubs, benchmarks).
delete process.env.NODE_EXTRA_CA_CERTS;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two files at a time on this project's two-core CI machines. Three took 216–267 s against
    // 307 s, but on a slow hour a fresh-clone run failed the refill end-to-end bound (a median of
    // 1.09 s against 1 s) under the extra load. The lifecycle's own deadlines run on a fake clock in
    // unit tests; what still runs in real time (simulated VMs, sshd, nginx, whole fleets) polls with
    // generous deadlines.
    pool: 'forks',
    maxWorkers: 2,
  },
});
