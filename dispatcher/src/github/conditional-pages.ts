/**
 * GET a list, all its pages, as a conditional request: page 1 carries the ETag of the last answer, and
 * a 304 (which does not count against the rate limit, docs/reference/github-api.md §4) means the whole
 * list is unchanged. That holds for GitHub's lists, which are sorted newest first with the total on
 * every page: anything added lands on page 1 and anything removed changes `total_count`.
 */
import { errorStatus } from '../../../core/errors';
import type { ReadBudget } from './read-budget';

export type GitHubRequest = (route: string, params: Record<string, unknown>) => Promise<{ headers: Record<string, unknown>; data: unknown }>;

/** GitHub returns at most 1,000 results for a filtered list: 10 pages of 100. */
const MAX_PAGES = 10;
const PER_PAGE = 100;

export interface PageShape<T> {
  /** The array field of the answer (`workflow_runs`, `jobs`, `runners`, `repositories`). */
  field: string;
  /** Keep what is needed of an item, or drop it (undefined). */
  map(raw: Record<string, unknown>): T | undefined;
}

export interface ConditionalList<T> {
  etag: string | undefined;
  items: T[];
}

/** `undefined` when GitHub answered 304 to `etag`. Checks the read budget before every page. */
export async function getPages<T>(
  request: GitHubRequest,
  budget: ReadBudget,
  route: string,
  params: Record<string, unknown>,
  shape: PageShape<T>,
  etag?: string,
): Promise<ConditionalList<T> | undefined> {
  const items: T[] = [];
  let first: string | undefined;
  for (let page = 1; page <= MAX_PAGES; page++) {
    budget.assertRead(route);
    const headers = page === 1 && etag !== undefined ? { 'if-none-match': etag } : {};
    let res: Awaited<ReturnType<GitHubRequest>>;
    try {
      res = await request(route, { ...params, per_page: PER_PAGE, page, headers });
    } catch (error: unknown) {
      if (page === 1 && errorStatus(error) === 304) return undefined;
      throw error;
    }
    if (page === 1) first = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
    const body = res.data as Record<string, unknown>;
    const raw = Array.isArray(body[shape.field]) ? (body[shape.field] as Record<string, unknown>[]) : [];
    for (const r of raw) {
      const item = shape.map(r);
      if (item !== undefined) items.push(item);
    }
    const total = typeof body.total_count === 'number' ? body.total_count : 0;
    if (raw.length < PER_PAGE || page * PER_PAGE >= total) break;
  }
  return { etag: first, items };
}

/** A cache of conditional lists by key: the last answer is reused on a 304. Bounded: the oldest
 * entry goes when `maxEntries` is reached. */
export function createListCache<T>(maxEntries: number) {
  const entries = new Map<string, ConditionalList<T>>();
  return {
    async get(key: string, load: (etag: string | undefined) => Promise<ConditionalList<T> | undefined>): Promise<T[]> {
      const cached = entries.get(key);
      const fresh = await load(cached?.etag);
      if (fresh === undefined && cached) return cached.items;
      const list = fresh ?? { etag: undefined, items: [] };
      entries.delete(key);
      if (list.etag !== undefined) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, list);
      }
      return list.items;
    },
  };
}
