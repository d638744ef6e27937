import { parseCliArgs, readSeedFile, writeSeedFile } from './cli';
import { startFakeGitHub } from './start-fake-github';

try {
  const args = parseCliArgs(process.argv.slice(2));
  const seed = args.statePath === undefined ? {} : readSeedFile(args.statePath);
  const { snapshot, webhooks, ...options } = seed;
  const fake = await startFakeGitHub({ ...options, port: args.port, host: args.host });
  if (snapshot) fake.restore(snapshot);
  else for (const hook of webhooks ?? []) fake.addWebhook(hook);
  process.stdout.write(`fake-github listening on ${fake.url}\n`);
  const stop = (): void => {
    if (args.statePath !== undefined) writeSeedFile(args.statePath, seed, fake.snapshot());
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error: unknown) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(64);
}
