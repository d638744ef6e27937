/**
 * `tartfleet-agent cache-config [--config FILE] [--newsyslog]`: prints the mirror's nginx.conf (or
 * the newsyslog rules rotating its logs) for the `cache` section of an agent config file (YAML or
 * JSON), or the default mirror set without one.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errorMessage } from '../../../core/errors';
import { parseOptions, UsageError } from '../cli/parse-options';
import { cacheConfigSchema } from './cache-config-schema';
import { renderNginxConfig } from './render-nginx-config';
import { renderMirrorNewsyslog } from './render-mirror-newsyslog';

/** What the command touches, injected. */
export interface CacheConfigCommandIo {
  readFile(path: string): Promise<string>;
  stdout(text: string): void;
  stderr(text: string): void;
}

const USAGE = `usage: tartfleet-agent cache-config [--config FILE] [--newsyslog]

Prints the nginx configuration of the host's pull-through mirror. With --config, from the \`cache\`
section of that agent config file (YAML or JSON); without, the default mirror set. With --newsyslog,
the newsyslog(8) rules that rotate the mirror's logs instead (for /etc/newsyslog.d/).
`;

function parseCommandLine(argv: readonly string[]): { config?: string; help: boolean; newsyslog?: boolean } | string {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  try {
    const parsed = parseOptions('cache-config', { values: ['config'], flags: ['newsyslog'] }, argv);
    const config = parsed.values.get('config');
    const newsyslog = parsed.flags.has('newsyslog');
    return config === undefined ? { help: false, newsyslog } : { config, help: false, newsyslog };
  } catch (error: unknown) {
    if (error instanceof UsageError) return error.message.replace(/^cache-config: /, '');
    throw error;
  }
}

/** Runs the command; resolves to the process exit code (0 ok, 1 bad config, 64 bad usage). */
export async function runCacheConfigCommand(argv: readonly string[], io: CacheConfigCommandIo): Promise<number> {
  const args = parseCommandLine(argv);
  if (typeof args === 'string') {
    io.stderr(`cache-config: ${args}\n${USAGE}`);
    return 64;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  let section: unknown = {};
  if (args.config !== undefined) {
    let document: unknown;
    try {
      document = parseYaml(await io.readFile(args.config));
    } catch (error: unknown) {
      io.stderr(`cache-config: cannot read agent config ${args.config}: ${errorMessage(error)}\n`);
      return 1;
    }
    if (typeof document !== 'object' || document === null || !('cache' in document) || document.cache === undefined || document.cache === null) {
      io.stderr(`cache-config: ${args.config} has no \`cache\` section, so this agent runs without a mirror; add one (\`cache: {}\` for the defaults) or omit --config\n`);
      return 1;
    }
    section = document.cache;
  }
  const parsed = cacheConfigSchema.safeParse(section);
  if (!parsed.success) {
    const where = args.config ?? 'defaults';
    io.stderr(`cache-config: invalid \`cache\` section in ${where}:\n${z.prettifyError(parsed.error)}\n`);
    return 1;
  }
  io.stdout(args.newsyslog === true ? renderMirrorNewsyslog(parsed.data) : renderNginxConfig(parsed.data));
  return 0;
}
