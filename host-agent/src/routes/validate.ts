/**
 * Request validation: every body and path parameter goes through a zod schema, and handlers read
 * only `c.req.valid(...)`. Failures become one 400 whose message lists every problem, naming the
 * field, what was expected and (for fields that are not credentials) what was received.
 */
import type { z } from 'zod';
import type { MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
import { ApiError } from './api-error';

const SENSITIVE_FIELD = /jit|secret|token|password|key/i;

function describePath(where: string, path: readonly PropertyKey[]): string {
  let out = where;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}

function describeReceived(issue: z.core.$ZodIssue): string {
  if (issue.path.some((p) => SENSITIVE_FIELD.test(String(p)))) return '';
  if (issue.code !== 'invalid_format' && issue.code !== 'too_big' && issue.code !== 'too_small' && issue.code !== 'invalid_value') return '';
  if (!('input' in issue) || issue.input === undefined) return '';
  const json = JSON.stringify(issue.input) ?? '';
  return `, got ${json.length > 80 ? `${json.slice(0, 77)}...` : json}`;
}

/** Render zod issues as one line per problem: `body.labels[0]: labels are 1-100 characters…, got "a;b"`. */
export function formatIssues(where: string, error: z.ZodError): string {
  return error.issues.map((issue) => `${describePath(where, issue.path)}: ${issue.message}${describeReceived(issue)}`).join('; ');
}

/** Refuse a body that is not declared or not parseable as JSON, with our own message, before Hono's
 * json validator (whose message for broken JSON names neither field nor expectation). */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new ApiError(400, 'bad_request', `body must be sent with Content-Type: application/json, got '${type || 'none'}'`);
  try {
    await c.req.json();
  } catch {
    throw new ApiError(400, 'bad_request', 'body must be a JSON object, got text that does not parse as JSON');
  }
  await next();
};

/** Validate the JSON body against `schema`. Use after `requireJson`. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return validator('json', async (value) => {
    const parsed = await schema.safeParseAsync(value, { reportInput: true });
    if (!parsed.success) throw new ApiError(400, 'bad_request', formatIssues('body', parsed.error));
    return parsed.data as z.output<S>;
  });
}

/** Validate path parameters against `schema`. */
export function pathParams<S extends z.ZodType>(schema: S) {
  return validator('param', (value) => {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (!parsed.success) throw new ApiError(400, 'bad_request', formatIssues('path', parsed.error));
    return parsed.data as z.output<S>;
  });
}
