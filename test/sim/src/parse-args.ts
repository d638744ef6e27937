import { usageError } from './errors';

/** Declares one subcommand's arguments the way swift-argument-parser sees them. */
export interface CommandSpec {
  /** Subcommand name, e.g. `clone`. */
  name: string;
  /** The `Usage:` line ArgumentParser prints after a validation error (without `Usage: `). */
  usage: string;
  /** Positional argument names in order; a trailing `...` marks a variadic one, `?` an optional one. */
  positionals: string[];
  /** Options that take a value (long names without `--`); value is the label used in messages. */
  options?: Record<string, string>;
  /** Options that may repeat. */
  repeatable?: string[];
  /** Boolean flags (long names without `--`). */
  flags?: string[];
  /** Short aliases, e.g. `{ t: 'timeout', q: 'quiet' }`. */
  short?: Record<string, string>;
  /** Everything after the first positional that fills this slot is passed through unparsed. */
  passthroughAfter?: string;
}

/** The parsed command line. */
export interface ParsedArgs {
  /** Positional values by name; variadic ones are joined in `rest`. */
  positionals: Record<string, string>;
  /** Values of a variadic positional. */
  rest: string[];
  /** Last value of each option. */
  options: Record<string, string>;
  /** Every value of each repeatable option. */
  multi: Record<string, string[]>;
  /** Flags that were given. */
  flags: Set<string>;
}

/**
 * Parses argv like swift-argument-parser 1.6: `--opt value` and `--opt=value`, options before or
 * after positionals, `--` ends options. Errors are ValidationErrors (exit 64).
 */
export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: {}, rest: [], options: {}, multi: {}, flags: new Set() };
  const options = spec.options ?? {};
  const flags = new Set(spec.flags ?? []);
  const positionalValues: string[] = [];
  let onlyPositionals = false;
  const variadic = spec.positionals.find((p) => p.endsWith('...'));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (spec.passthroughAfter !== undefined && positionalValues.length > 0) {
      out.rest.push(...argv.slice(i));
      break;
    }
    if (onlyPositionals || !arg.startsWith('-') || arg === '-') {
      positionalValues.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else {
      const alias = spec.short?.[arg.slice(1)];
      if (alias === undefined) throw usageError(spec.name, `Unknown option '${arg}'`);
      name = alias;
    }
    if (flags.has(name)) {
      if (inline !== undefined) throw usageError(spec.name, `Unknown option '${arg}'`);
      out.flags.add(name);
      continue;
    }
    const label = options[name];
    if (label === undefined) throw usageError(spec.name, `Unknown option '${arg.split('=')[0]}'`);
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        throw usageError(spec.name, `Missing value for '--${name} <${label}>'`);
      }
      value = next;
      i++;
    }
    out.options[name] = value;
    (out.multi[name] ??= []).push(value);
  }
  const fixed = spec.positionals.filter((p) => !p.endsWith('...'));
  for (const [index, slot] of fixed.entries()) {
    const value = positionalValues[index];
    const key = slot.replace(/\?$/, '');
    if (value === undefined) {
      if (slot.endsWith('?')) continue;
      throw usageError(spec.name, `Missing expected argument '<${key}>'`);
    }
    out.positionals[key] = value;
  }
  const extra = positionalValues.slice(fixed.length);
  if (variadic !== undefined) {
    out.rest.unshift(...extra);
    if (out.rest.length === 0 && spec.passthroughAfter === undefined) {
      throw usageError(spec.name, `Missing expected argument '<${variadic.replace('...', '')}> ...'`);
    }
  } else if (extra.length > 0) {
    throw usageError(spec.name, `Unexpected argument '${extra[0]}'`);
  }
  return out;
}

/** Parses an unsigned integer option the way ArgumentParser does, or fails with its message. */
export function parseUInt(spec: CommandSpec, name: string, value: string): number {
  if (!/^\d+$/.test(value)) {
    throw usageError(spec.name, `The value '${value}' is invalid for '--${name} <${spec.options?.[name] ?? name}>'`);
  }
  return Number(value);
}

/** Parses an enum option, or fails like ArgumentParser's ExpressibleByArgument conformance. */
export function parseChoice<T extends string>(spec: CommandSpec, name: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw usageError(spec.name, `The value '${value}' is invalid for '--${name} <${spec.options?.[name] ?? name}>'`);
}
