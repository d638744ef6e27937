// Entrypoint of `npm run demo` (bundled and run by scripts/run-ts.mjs): wire the terminal to runDemo.
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runDemo } from './demo';

const USAGE = `Usage: npm run demo [-- --keep]

A burst of jobs on a simulated fleet (fake GitHub, the dispatcher, host agents on the tart simulator).
  --keep   after the summary, keep the fleet and its status page up until Ctrl-C
Environment: TARTFLEET_DEMO_JOBS, TARTFLEET_DEMO_HOSTS, TARTFLEET_DEMO_BOOT_MS, TARTFLEET_DEMO_DEADLINE_MS,
TARTFLEET_FLEET_TOKEN (the status page's token; a throwaway is made and shown when unset).`;

let flags: { keep?: boolean | undefined; help?: boolean | undefined };
try {
  flags = parseArgs({ args: process.argv.slice(2), options: { keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
} catch (error: unknown) {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(64);
}
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const env = process.env;
const logFile = path.join(tmpdir(), `tartfleet-demo-${process.pid}.log`);
const log = createWriteStream(logFile);
const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});
const result = await runDemo({
  root: env.TARTFLEET_ROOT ?? process.cwd(),
  jobs: Number(env.TARTFLEET_DEMO_JOBS ?? 24),
  hosts: Number(env.TARTFLEET_DEMO_HOSTS ?? 3),
  bootMs: Number(env.TARTFLEET_DEMO_BOOT_MS ?? 3_000),
  deadlineMs: Number(env.TARTFLEET_DEMO_DEADLINE_MS ?? 150_000),
  out: (t) => process.stdout.write(t),
  tty: process.stdout.isTTY === true,
  interrupted,
  logLine: (l) => log.write(`${l}\n`),
  keep: flags.keep === true,
  ...(env.TARTFLEET_FLEET_TOKEN ? { fleetToken: env.TARTFLEET_FLEET_TOKEN } : {}),
});
log.end();
process.stdout.write(`process logs: ${logFile}\n`);
process.exit(result.interrupted ? 130 : result.ok ? 0 : 1);
