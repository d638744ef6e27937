/**
 * `tartfleet-dispatcher status --url URL [--json]`: the status page's picture as terminal tables,
 * from `GET <url>/status/data`. The fleet token comes from TARTFLEET_FLEET_TOKEN only (never argv,
 * where `ps` would show it).
 */
import { parseArgs } from 'node:util';
import { systemClock, type Clock } from '../../core/clock';
import { withDeadline } from '../../core/deadline';
import { errorMessage } from '../../core/errors';
import { renderStatusTable } from './status/render-status-table';
import { statusViewSchema } from './status/status-model';

export const FLEET_TOKEN_ENV = 'TARTFLEET_FLEET_TOKEN';
const TIMEOUT_MS = 15_000;
/** A status view of a large fleet is tens of KB; anything far beyond is not one. */
const MAX_BYTES = 8 * 1024 * 1024;

export const STATUS_USAGE = `Usage: tartfleet-dispatcher status --url URL [--json]

Prints the fleet as the status page shows it (hosts and slots, runners, queue per pool, recent jobs,
images), from GET URL/status/data. The fleet token is read from ${FLEET_TOKEN_ENV}.
  --url URL   the dispatcher, e.g. https://dispatcher.example.com
  --json      print the JSON as received instead of tables`;

export interface StatusIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  clock?: Clock;
}

export async function runStatusCommand(args: string[], io: StatusIo): Promise<number> {
  let values: { url?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    values = parseArgs({ args, options: { url: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (error: unknown) {
    io.err(`tartfleet-dispatcher status: ${errorMessage(error)}; expected --url URL [--json]`);
    return 64;
  }
  if (values.help) {
    io.out(STATUS_USAGE);
    return 0;
  }
  let base: URL;
  try {
    base = new URL(values.url ?? '');
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    io.err(`tartfleet-dispatcher status: --url must be the dispatcher's http(s) URL, got '${values.url ?? ''}'`);
    return 64;
  }
  const token = io.env[FLEET_TOKEN_ENV];
  if (!token) {
    io.err(`tartfleet-dispatcher status: set ${FLEET_TOKEN_ENV} to the dispatcher's fleetToken (it is never taken from the command line)`);
    return 78;
  }
  const url = new URL('status/data', base.href.endsWith('/') ? base.href : `${base.href}/`);
  try {
    const text = await withDeadline(io.clock ?? systemClock, `GET ${url.href}`, TIMEOUT_MS, undefined, async (signal) => {
      const res = await (io.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal });
      if (Number(res.headers.get('content-length') ?? 0) > MAX_BYTES) throw new Error(`GET ${url.href}: answer larger than ${MAX_BYTES} bytes`);
      const body = await res.text();
      if (body.length > MAX_BYTES) throw new Error(`GET ${url.href}: answer larger than ${MAX_BYTES} bytes`);
      if (res.status === 401) throw new Error(`GET ${url.href}: 401, ${FLEET_TOKEN_ENV} is not the dispatcher's fleetToken`);
      if (res.status === 404) throw new Error(`GET ${url.href}: 404, the dispatcher has no fleetToken configured (or is older than the status page)`);
      if (!res.ok) throw new Error(`GET ${url.href}: HTTP ${res.status}`);
      return body;
    });
    const parsed = statusViewSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`GET ${url.href}: not a status view (${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'})`);
    }
    io.out(values.json ? JSON.stringify(parsed.data, null, 2) : renderStatusTable(parsed.data));
    return 0;
  } catch (error: unknown) {
    io.err(`tartfleet-dispatcher status: ${errorMessage(error)}`);
    return 69;
  }
}
