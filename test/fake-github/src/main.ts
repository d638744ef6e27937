import { parseCliArgs, readSeedFile } from './cli';
import { startFakeGitHub } from './start-fake-github';

try {
  const args = parseCliArgs(process.argv.slice(2));
  const seed = args.statePath === undefined ? {} : readSeedFile(args.statePath);
  const fake = await startFakeGitHub({ ...seed, port: args.port, host: args.host });
  for (const hook of seed.webhooks ?? []) fake.addWebhook(hook);
  process.stdout.write(`fake-github listening on ${fake.url}\n`);
  const stop = (): void => void fake.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error: unknown) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(64);
}
