import { TartfleetError } from '../../../core/errors';

/** What went wrong with a tart call, as a controller needs to act on it (docs/reference/tart-cli.md §0, §6). */
export type TartErrorKind =
  /** `the specified VM "x" does not exist` (exit 2; exit 1 from `run`). */
  | 'vm-missing'
  /** `VM "x" is not running` (exit 2). */
  | 'not-running'
  /** `VM "x" is already running!` (exit 2, from `run`). */
  | 'already-running'
  /** `VM "x" is running` (exit 1, from `delete` right after a `stop` that had to SIGKILL). */
  | 'vm-running'
  /** `The number of VMs exceeds the system limit` (exit 1, from `run`): a slot leak signal. */
  | 'vm-limit'
  /** The tart binary was not found (ENOENT). */
  | 'not-installed'
  /** The call ran past its timeout and was killed. */
  | 'timeout'
  /** The caller's signal aborted the call. */
  | 'canceled'
  | 'other';

/** The tart driver's error (on the project's one error shape, core/errors.ts). */
export class TartError extends TartfleetError {
  override readonly name = 'TartError';
  constructor(
    readonly kind: TartErrorKind,
    /** The command as run, e.g. `tart stop tf-mac-1 --timeout 10` (arguments never hold secrets). */
    readonly command: string,
    /** Exit code, when the process exited by itself. */
    readonly exitCode: number | undefined,
    /** First non-empty stderr line, else first non-empty stdout line, else a description. */
    readonly detail: string,
  ) {
    // Worth another try: the VM was still locked, or the call was slow.
    super(`tart_${kind}`, `${command} failed (${exitCode === undefined ? kind : `exit ${exitCode}`}): ${detail}`, { retryable: kind === 'vm-running' || kind === 'timeout' });
  }
}

/** The first line of `text` that is not blank, trimmed. */
export function firstNonEmptyLine(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed) return trimmed;
  }
  return undefined;
}

/**
 * Classifies tart's message text. Exit code 2 is shared by missing / not running / already running,
 * so the text decides (docs/reference/tart-cli.md §6); `run` reports a missing VM with exit 1 and an `Error:` prefix.
 */
export function classifyTartMessage(message: string): TartErrorKind {
  if (/does not exist/i.test(message)) return 'vm-missing';
  if (/exceeds the system limit|maximum supported number of active virtual machines/i.test(message)) return 'vm-limit';
  if (/is not running/i.test(message)) return 'not-running';
  if (/is already running/i.test(message)) return 'already-running';
  if (/VM ".*" is running/i.test(message)) return 'vm-running';
  return 'other';
}
