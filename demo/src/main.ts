// Entrypoint of `npm run demo` (bundled and run by scripts/run-ts.mjs): wire the terminal to runDemo.
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from './demo';

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
});
log.end();
process.stdout.write(`process logs: ${logFile}\n`);
process.exit(result.interrupted ? 130 : result.ok ? 0 : 1);
