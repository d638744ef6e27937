/** The project's Logger port over the job log: debug lines only with step debugging on, warnings as
 * annotations. Fields go through the one redaction policy, so a token can never reach the log. */
import { redact, type Logger } from '../core/logger';
import type { ActionCore } from './core';

export function actionLogger(core: Pick<ActionCore, 'debug' | 'info' | 'warning'>, bindings: Record<string, unknown> = {}): Logger {
  const text = (obj: Record<string, unknown>, msg?: string): string => {
    const fields = { ...bindings, ...obj };
    return Object.keys(fields).length === 0 ? (msg ?? '') : `${msg ?? ''} ${JSON.stringify(redact(fields))}`.trim();
  };
  return {
    debug: (obj, msg) => core.debug(text(obj, msg)),
    info: (obj, msg) => core.debug(text(obj, msg)),
    warn: (obj, msg) => core.warning(text(obj, msg)),
    error: (obj, msg) => core.warning(text(obj, msg)),
    child: (more) => actionLogger(core, { ...bindings, ...more }),
  };
}
