/**
 * How tart reports a failure decides both the stderr text and the exit code (docs/reference/tart-cli.md §0):
 * - `runtime`: a RuntimeError thrown from a command's run(): message without prefix, exit 2 or 1;
 * - `usage`: ArgumentParser validation: `Error: <msg>`, usage lines, exit 64;
 * - `generic`: any other error, or any error thrown from validate(): `Error: <msg>`, exit 1;
 * - `raw`: errors inside `tart run`'s VM task: message as is, exit 1.
 */
export type TartErrorStyle = 'runtime' | 'usage' | 'generic' | 'raw';

/** The one error shape of the simulator: carries the exact text and exit code tart would produce. */
export class TartError extends Error {
  override readonly name = 'TartError';
  /** Which of tart's reporting paths this error takes. */
  readonly style: TartErrorStyle;
  /** Process exit code tart would use. */
  readonly exitCode: number;
  /** For `usage`: the command whose usage line follows the message. */
  readonly command: string | undefined;

  constructor(style: TartErrorStyle, message: string, exitCode: number, command?: string) {
    super(message);
    this.style = style;
    this.exitCode = exitCode;
    this.command = command;
  }
}

/** `the specified VM "<name>" does not exist` (RuntimeError.VMDoesNotExist, exit 2). */
export function vmDoesNotExist(name: string): TartError {
  return new TartError('runtime', `the specified VM "${name}" does not exist`, 2);
}

/** The text of RuntimeError.VMMissingFiles: a VM directory without all three of its files. */
export const missingFilesText = 'VM is missing some of its files (config.json, disk.img or nvram.bin)';

/** RuntimeError.VMMissingFiles (exit 1): `open` of a directory that lacks a file; `list` just skips it. */
export function vmMissingFiles(): TartError {
  return new TartError('runtime', missingFilesText, 1);
}

/** `VM "<name>" is not running` (RuntimeError.VMNotRunning, exit 2). */
export function vmNotRunning(name: string): TartError {
  return new TartError('runtime', `VM "${name}" is not running`, 2);
}

/** `VM "<name>" is already running!` (RuntimeError.VMAlreadyRunning, exit 2). */
export function vmAlreadyRunning(name: string): TartError {
  return new TartError('runtime', `VM "${name}" is already running!`, 2);
}

/** `VM "<name>" is running` (RuntimeError.VMIsRunning, exit 1), raised by delete and push. */
export function vmIsRunning(name: string): TartError {
  return new TartError('runtime', `VM "${name}" is running`, 1);
}

/** Any other RuntimeError: message as given, exit 1. */
export function runtimeError(message: string): TartError {
  return new TartError('runtime', message, 1);
}

/** A ValidationError: `Error: <msg>` plus usage, exit 64. */
export function usageError(command: string, message: string): TartError {
  return new TartError('usage', message, 64, command);
}

/** A non-RuntimeError failure: `Error: <msg>`, exit 1. */
export function genericError(message: string): TartError {
  return new TartError('generic', message, 1);
}

/** Narrows an unknown thrown value to a message. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
