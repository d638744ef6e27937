#!/usr/bin/env node
/**
 * `tartfleet-agent` entrypoint: wiring only. Parsing, config, the service and the
 * exit code all live in the other cli/ modules.
 */
import { realCliDeps } from './real-deps';
import { runCli } from './run-cli';

const code = await runCli(process.argv.slice(2), realCliDeps());
// On macOS, stdout/stderr to a pipe are asynchronous: exit only once `doctor --json | jq` got every byte.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
