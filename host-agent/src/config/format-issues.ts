import type { z } from 'zod';

/** Paths whose values are credentials: their received value is never echoed. */
const SENSITIVE = /jit|secret|token|password|passphrase|key/i;

/** `labels[0]` style path, prefixed with `where` when given (`body.labels[0]`). */
function describePath(where: string, path: readonly PropertyKey[]): string {
  let out = where;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  return out || '(root)';
}

function describeReceived(issue: z.core.$ZodIssue): string {
  if (issue.path.some((p) => SENSITIVE.test(String(p)))) return '';
  if (issue.code !== 'invalid_format' && issue.code !== 'too_big' && issue.code !== 'too_small' && issue.code !== 'invalid_value') return '';
  if (!('input' in issue) || issue.input === undefined) return '';
  const json = JSON.stringify(issue.input) ?? '';
  return `, got ${json.length > 80 ? `${json.slice(0, 77)}...` : json}`;
}

/** One string per zod issue: `<path>: <what was expected>[, got <value>]`. Parse with
 * `{ reportInput: true }` so the received value is available; credentials are never echoed. */
export function formatIssues(where: string, error: z.ZodError, label: (path: string) => string = (p) => p): string[] {
  return error.issues.map((issue) => `${label(describePath(where, issue.path))}: ${issue.message}${describeReceived(issue)}`);
}
