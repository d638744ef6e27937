/**
 * The agent API's two authorisation scopes, each with its own secrets:
 * - `runner`: what a per-run workflow and the dispatcher need — host info and the runners
 *   (start, list, get, cancel).
 * - `admin`: everything else under `/v1` — images, pools (image switch, rollback, warm targets),
 *   drain and resume. An admin secret also works on runner routes.
 * The rule is an allow-list of runner paths: a route added later, or any path spelling the router
 * might still match (`/v1//images`), is admin until it is listed here.
 */

export type AgentScope = 'runner' | 'admin';

const RUNNER_PATHS: readonly RegExp[] = [/^\/v1\/host$/, /^\/v1\/runners$/, /^\/v1\/runners\/[^/]+$/];

/** The scope a request to `path` (with or without its query string) needs. */
export function scopeOf(path: string): AgentScope {
  const q = path.indexOf('?');
  const pathname = q === -1 ? path : path.slice(0, q);
  return RUNNER_PATHS.some((p) => p.test(pathname)) ? 'runner' : 'admin';
}
