/**
 * The fetch every GitHub request goes through: a deadline per request (body included) and the
 * rate-limit headers for the read budget. At the fetch level so that retries and every page
 * of a paginated list count as the separate requests GitHub sees. The read budget is checked by the
 * callers before they start a read (a refusal here would look like a network error to Octokit's retry).
 */
import type { Clock } from '../../../core/clock';
import { withDeadline } from '../../../core/deadline';
import { DispatcherError } from '../errors';
import type { ReadBudget } from './read-budget';

export interface InstrumentedFetchOptions {
  fetch: typeof fetch;
  clock: Clock;
  timeoutMs: number;
  budget: ReadBudget;
  onRateLimit(remaining: number): void;
}

/** `GET /repos/acme/app/actions/runs/42/jobs?page=2` → `GET /repos/{owner}/{repo}/actions/runs/{id}/jobs`:
 * a bounded label value whatever the ids and names. */
export function endpointOf(method: string, url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0] ?? url;
  }
  path = path
    .replace(/^\/api\/v3(?=\/)/, '')
    .replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/{owner}/{repo}')
    .replace(/^\/orgs\/[^/]+/, '/orgs/{org}')
    .replace(/\/\d+(?=\/|$)/g, '/{id}');
  return `${method.toUpperCase()} ${path}`;
}

/** GitHub's largest answers we read are 100-item pages of a few hundred KB. */
export const MAX_GITHUB_BODY_BYTES = 16 * 1024 * 1024;

async function readCapped(res: Response, endpoint: string): Promise<ArrayBuffer> {
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_GITHUB_BODY_BYTES) {
      await reader.cancel();
      throw new DispatcherError('github', `GitHub ${endpoint} answered with more than ${MAX_GITHUB_BODY_BYTES} bytes; refusing to read on`, true);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(new ArrayBuffer(size));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

export function createInstrumentedFetch(options: InstrumentedFetchOptions): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const endpoint = endpointOf(method, url);
    // App-JWT requests (installation tokens) have their own limit and serve every other request.
    const appRequest = / \/app\//.test(endpoint);
    // The body is read inside the deadline too: a response that stalls mid-body is as stuck as one
    // that never starts. Counting by endpoint and status is done by Octokit's hooks
    // (create-octokit-github.ts), which see the route template.
    const response = await withDeadline(options.clock, `GitHub ${endpoint}`, options.timeoutMs, init?.signal ?? undefined, async (signal) => {
      const res = await options.fetch(input, { ...init, signal });
      const body = res.status === 204 || res.status === 304 ? null : await readCapped(res, endpoint);
      const copy = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
      // Octokit reads the final URL (after redirects) from the response.
      Object.defineProperty(copy, 'url', { value: res.url });
      return copy;
    });
    const remaining = Number(response.headers.get('x-ratelimit-remaining') ?? Number.NaN);
    const reset = Number(response.headers.get('x-ratelimit-reset') ?? Number.NaN);
    if (!appRequest && Number.isFinite(remaining)) {
      options.onRateLimit(remaining);
      if (Number.isFinite(reset)) options.budget.observe(remaining, reset);
      if (method === 'GET' && response.status !== 304) options.budget.spent();
    }
    return response;
  };
}
