#!/usr/bin/env node
// Entrypoint only: wire the process to the CLI.
import { runCli } from './cli';

const code = await runCli(process.argv.slice(2), {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  env: process.env,
  onSignal: (handler) => {
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  },
});
process.exit(code);
