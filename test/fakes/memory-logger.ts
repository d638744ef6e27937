import type { Logger } from '../../core/logger';

/** A Logger keeping every line as JSON text (bindings merged), so tests can search the output. */
export interface MemoryLogger extends Logger {
  readonly lines: string[];
  text(): string;
}

/** Builds a MemoryLogger; `echo` also prints lines (debugging a failing test). */
export function createMemoryLogger(options: { echo?: boolean } = {}, lines: string[] = [], bindings: Record<string, unknown> = {}): MemoryLogger {
  const write = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    const line = JSON.stringify({ level, time: Date.now(), ...bindings, ...obj, msg });
    lines.push(line);
    if (options.echo) process.stderr.write(`${line}\n`);
  };
  const logger = {
    lines,
    text: () => lines.join('\n'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more: Record<string, unknown>) => createMemoryLogger(options, lines, { ...bindings, ...more }),
  } satisfies MemoryLogger;
  return logger;
}
