import { commands } from './commands/index';
import type { Ctx } from './context';
import { errorMessage, TartError, usageError } from './errors';
import { Faults } from './faults';
import { parseArgs } from './parse-args';
import { sleepSync } from './sleep';
import { gcTmp, openTartHome } from './tart-home';

/** The simulated tart version: the release whose behaviour docs/reference/tart-cli.md documents. */
export const TART_VERSION = '2.32.1';

/** Process-level seams of one invocation. */
export interface TartIo {
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

function rootHelp(): string {
  const lines = Object.entries(commands)
    .filter(([name]) => name !== 'fqn')
    .map(([name, c]) => `  ${name.padEnd(22)}${c.abstract}`);
  return `OVERVIEW: tart (simulator for Linux)\n\nUSAGE: tart <subcommand>\n\nOPTIONS:\n  --version               Show the version.\n  -h, --help              Show help information.\n\nSUBCOMMANDS:\n${lines.join('\n')}\n\n  See 'tart help <subcommand>' for detailed help.\n`;
}

function report(io: TartIo, error: TartError): number {
  switch (error.style) {
    case 'runtime':
    case 'raw':
      io.err(`${error.message}\n`);
      break;
    case 'usage': {
      const usage = error.command !== undefined ? commands[error.command]?.spec.usage ?? 'tart <subcommand>' : 'tart <subcommand>';
      const help = error.command !== undefined ? `tart ${error.command} --help` : 'tart --help';
      io.err(`Error: ${error.message}\nUsage: ${usage}\n  See '${help}' for more information.\n`);
      break;
    }
    case 'generic':
      io.err(`Error: ${error.message}\n`);
      break;
  }
  return error.exitCode;
}

/** Runs one `tart` invocation; resolves to the exit code (a `run` keeps the process alive itself). */
export async function runTart(argv: string[], io: TartIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version') {
    io.out(`${io.env.TART_SIM_VERSION ?? TART_VERSION}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const sub = name === 'help' ? commands[rest[0] ?? ''] : undefined;
    io.out(sub !== undefined ? `USAGE: ${sub.spec.usage}\n` : rootHelp());
    return 0;
  }
  const command = commands[name];
  try {
    if (command === undefined) throw usageError('', `Unexpected argument '${name}'`);
    if (rest.includes('--help') || (rest.includes('-h') && name !== 'exec')) {
      io.out(`OVERVIEW: ${command.abstract}\n\nUSAGE: ${command.spec.usage}\n`);
      return 0;
    }
    const args = parseArgs(command.spec, rest);
    const home = openTartHome(io.env);
    // Config().gc() runs before every command except pull and clone.
    if (name !== 'pull' && name !== 'clone') gcTmp(home);
    const ctx: Ctx = { env: io.env, home, faults: new Faults(io.env, home), out: io.out, err: io.err, now: () => new Date(), repoRoot: io.repoRoot };
    const subject = args.positionals.name ?? args.positionals['new-name'] ?? args.rest[0] ?? '';
    const delay = ctx.faults.number(`slow-${name}`, subject, 1000);
    if (delay !== undefined) sleepSync(delay);
    await command.run(ctx, args);
    return 0;
  } catch (error: unknown) {
    if (error instanceof TartError) {
      if (error.style === 'usage' && error.command === '') return report(io, new TartError('usage', error.message, 64));
      return report(io, error);
    }
    io.err(`Error: ${errorMessage(error)}\n`);
    return 1;
  }
}
