import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

const DOCS = 'https://docs.github.com/rest';

/** GitHub's `basic-error` body: `{message, documentation_url, status}` (status as a string, as recent responses carry it). */
export function githubError(c: Context, status: ContentfulStatusCode, message: string, docPath = ''): Response {
  return c.json({ message, documentation_url: `${DOCS}${docPath}`, status: String(status) }, status);
}

/** GitHub's 404 body. */
export function notFound(c: Context, docPath = ''): Response {
  return githubError(c, 404, 'Not Found', docPath);
}

/** GitHub's 422 `validation-error-simple` body. */
export function validationFailed(c: Context, message: string, docPath = '', errors?: string[]): Response {
  return c.json({ message, documentation_url: `${DOCS}${docPath}`, status: '422', ...(errors ? { errors } : {}) }, 422);
}
