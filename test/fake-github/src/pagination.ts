import type { Context } from 'hono';
import { validationFailed } from './github-error';

/**
 * Slices `items` by `per_page` (default 30, max 100) and `page` (default 1), sets GitHub's absolute
 * `Link` header (`next`, `last`, `first`, `prev`) and returns the page, or a 422 Response.
 */
export function paginate<T>(c: Context, items: T[], base: string): T[] | Response {
  const perPageRaw = c.req.query('per_page');
  const pageRaw = c.req.query('page');
  const perPage = perPageRaw === undefined ? 30 : Number(perPageRaw);
  const page = pageRaw === undefined ? 1 : Number(pageRaw);
  if (!Number.isInteger(perPage) || perPage < 1) return validationFailed(c, `Invalid property /per_page: ${perPageRaw} is not a positive integer`);
  if (!Number.isInteger(page) || page < 1) return validationFailed(c, `Invalid property /page: ${pageRaw} is not a positive integer`);
  const size = Math.min(perPage, 100);
  const last = Math.max(1, Math.ceil(items.length / size));
  const url = new URL(c.req.url);
  const link = (p: number, rel: string): string => {
    const u = new URL(`${base}${url.pathname}${url.search}`);
    u.searchParams.set('per_page', String(size));
    u.searchParams.set('page', String(p));
    return `<${u.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  if (links.length > 0) c.header('link', links.join(', '));
  return items.slice((page - 1) * size, page * size);
}
