/**
 * Request validation: every body and path parameter goes through a zod schema, and handlers read
 * only `c.req.valid(...)`. Failures become one 400 whose message lists every problem, naming the
 * field, what was expected and (for fields that are not credentials) what was received.
 */
import type { z } from 'zod';
import type { MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
import { formatIssues } from '../config/format-issues';
import { ApiError } from './api-error';

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
    if (!parsed.success) throw new ApiError(400, 'bad_request', formatIssues('body', parsed.error).join('; '));
    return parsed.data as z.output<S>;
  });
}

/** Validate path parameters against `schema`. */
export function pathParams<S extends z.ZodType>(schema: S) {
  return validator('param', (value) => {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (!parsed.success) throw new ApiError(400, 'bad_request', formatIssues('path', parsed.error).join('; '));
    return parsed.data as z.output<S>;
  });
}
