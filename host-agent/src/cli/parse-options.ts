/**
 * Options of one subcommand through `node:util` `parseArgs`, with its errors turned into usage
 * errors that say what was expected (exit 64, EX_USAGE). Unknown options are errors, never ignored.
 */
import { parseArgs } from 'node:util';
import { TartfleetError } from '../../../core/errors';

/** Bad command line; the message says what was expected. */
export class UsageError extends TartfleetError {
  override readonly name = 'UsageError';
  readonly exitCode = 64;
  constructor(message: string) {
    super('usage', message);
  }
}

/** A subcommand's options: names taking a value, and flags. */
export interface OptionSpec {
  values: readonly string[];
  flags: readonly string[];
}

/** Parses `args` for `command` (its name prefixes every message). */
export function parseOptions(command: string, spec: OptionSpec, args: readonly string[]): { values: Map<string, string>; flags: Set<string> } {
  const options = Object.fromEntries([...spec.values.map((v) => [v, { type: 'string' as const }]), ...spec.flags.map((f) => [f, { type: 'boolean' as const }])]);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error: unknown) {
    const code = (error as { code?: string }).code;
    const quoted = /'([^']*)'/.exec(error instanceof Error ? error.message : '')?.[1] ?? '';
    const name = quoted.replace(/ <value>$/, '');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const known = [...spec.values.map((v) => `--${v} <value>`), ...spec.flags.map((f) => `--${f}`)];
      throw new UsageError(`${command}: unknown option '${name}'; expected one of: ${known.join(', ') || '(none)'}`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`${command}: unexpected argument '${name}'; options start with --`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(spec.flags.includes(name.replace(/^--/, '')) ? `${command}: ${name} takes no value, got '${args.find((a) => a.startsWith(`${name}=`)) ?? name}'` : `${command}: ${name} needs a value`);
    }
    throw error;
  }
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (const [key, value] of Object.entries(parsed.values)) {
    if (typeof value === 'boolean') {
      if (value) flags.add(key);
    } else if (typeof value === 'string') {
      if (value === '') throw new UsageError(`${command}: --${key} needs a value`);
      values.set(key, value);
    }
  }
  return { values, flags };
}
