import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AppSeed, FakeGitHubOptions, WebhookSeed } from './create-fake-github';
import type { StateSnapshot } from './state-file';

/** Parsed command line of `fake-github`. */
export interface CliArgs {
  port: number;
  host: string;
  /** Seed file: orgs, repos, tokens, apps, webhooks and options (see README). */
  statePath: string | undefined;
}

/** The seed file format of `--state FILE`. */
export interface SeedFile extends FakeGitHubOptions {
  webhooks?: WebhookSeed[];
  apps?: AppSeed[];
  /** Written back by the CLI on SIGTERM/SIGINT; restored on the next start. */
  snapshot?: StateSnapshot;
}

/** Parses `--port N [--host H] [--state FILE]`; throws with a usage message on anything else. */
export function parseCliArgs(argv: string[]): CliArgs {
  const args: CliArgs = { port: 0, host: '127.0.0.1', statePath: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--port' || flag === '--state' || flag === '--host') && value === undefined) throw new Error(`fake-github: ${flag} needs a value`);
    if (flag === '--port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`fake-github: --port must be an integer 0-65535, got '${value}'`);
      args.port = port;
      i++;
    } else if (flag === '--state') {
      args.statePath = value;
      i++;
    } else if (flag === '--host') {
      args.host = value ?? args.host;
      i++;
    } else {
      throw new Error(`fake-github: unknown argument '${flag}'. Usage: fake-github --port N [--host 127.0.0.1] [--state FILE]`);
    }
  }
  return args;
}

/** Reads a seed file (JSON); a missing file is an empty seed (it is created on shutdown). */
export function readSeedFile(path: string): SeedFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SeedFile;
  } catch (error: unknown) {
    throw new Error(`fake-github: --state ${path} must be a readable JSON seed file: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Writes the seed back with the current snapshot (atomically: temp file + rename). */
export function writeSeedFile(path: string, seed: SeedFile, snapshot: StateSnapshot): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ ...seed, snapshot }, null, 1)}\n`);
  renameSync(tmp, path);
}
