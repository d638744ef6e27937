/**
 * The agent API's two authorisation scopes, each with its own secrets:
 * - `runner`: what a per-run workflow and the dispatcher need — host info, the runners (start,
 *   list, get, cancel) and the dispatcher's short-lived automatic warm target.
 * - `admin`: everything else under `/v1` — images, pools (image switch, rollback, warm targets),
 *   drain and resume. An admin secret also works on runner routes.
 * The rule is an allow-list of runner paths: a route added later, or any path spelling the router
 * might still match (`/v1//images`), is admin until it is listed here.
 */

export type AgentScope = 'runner' | 'admin';

const RUNNER_PATHS: readonly RegExp[] = [
  /^\/v1\/host$/,
  /^\/v1\/runners$/,
  /^\/v1\/runners\/[^/]+$/,
  // The dispatcher's automatic warm target: it only adds above the operators' floor, within the
  // host's slots, and expires within minutes (contract: AUTO_WARM_MAX_MS).
  /^\/v1\/pools\/[^/]+\/warm\/auto$/,
  // The other direction: an agent tells the dispatcher it has free slots, signed with its runner
  // secret (dispatcher/src/http/slot-routes.ts). The agent serves no such route.
  /^\/v1\/slots\/free$/,
];

/** The scope a request to `path` (with or without its query string) needs. */
export function scopeOf(path: string): AgentScope {
  const q = path.indexOf('?');
  const pathname = q === -1 ? path : path.slice(0, q);
  return RUNNER_PATHS.some((p) => p.test(pathname)) ? 'runner' : 'admin';
}
