/**
 * `/status`: the live status page (hosts × slots, runners, queue per pool, recent jobs, images) and
 * `/status/data`, the JSON it polls and `tartfleet-dispatcher status` prints. Never public: without a
 * configured fleet token the routes do not exist; without the token (bearer, or the session cookie the
 * login form sets) the page answers 401 with the login form and the data a plain 401. Nothing here
 * may be cached (`no-store`), framed or sniffed.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../../../core/clock';
import type { FleetSnapshotSource } from '../fleet-snapshot';
import type { JobLog } from '../status/job-log';
import { buildStatus } from '../status/build-status';
import { loginPage, STATUS_PAGE } from '../status/page-html';
import { STATUS_SCRIPT } from '../status/page-script';
import { STATUS_CSS } from '../status/page-style';
import { safeEqual } from './fleet-routes';
import { HttpError } from './http-error';
import { isHttps, requireStatusAccess, sessionValue, STATUS_COOKIE, STATUS_SESSION_SECONDS } from './status-auth';

export interface StatusRouteDeps {
  fleetToken: string | undefined;
  fleetSnapshot: FleetSnapshotSource;
  jobLog: JobLog;
  pools: readonly { name: string }[];
  clock: Clock;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const LOGIN_MAX_BYTES = 4 * 1024;

const unauthorized = (): never => {
  throw new HttpError(401, 'unauthorized', 'the status page needs the fleet token: Authorization: Bearer <fleetToken>, or log in at /status');
};

/** A form posted from another site is refused (the cookie is SameSite=Strict, the login is not). */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  return origin === undefined || origin === new URL(c.req.url).origin || origin === `${isHttps(c) ? 'https' : 'http'}://${c.req.header('host') ?? ''}`;
}

export function statusRoutes(deps: StatusRouteDeps): Hono {
  const token = deps.fleetToken;
  const loginForm = (c: Context) => c.html(loginPage('none'), 401);
  return new Hono()
    .use('*', async (c, next) => {
      await next();
      c.header('Cache-Control', 'no-store');
      c.header('Content-Security-Policy', CSP);
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('X-Frame-Options', 'DENY');
      // same-origin, not no-referrer: with no-referrer the browser posts the login form with `Origin: null`.
      c.header('Referrer-Policy', 'same-origin');
    })
    // The stylesheet holds no fleet data, and the login form needs it.
    .get('/app.css', (c) => c.body(STATUS_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }))
    .get('/', requireStatusAccess(token, loginForm), (c) => c.html(STATUS_PAGE))
    .get('/app.js', requireStatusAccess(token, unauthorized), (c) => c.body(STATUS_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
    .get('/data', requireStatusAccess(token, unauthorized), async (c) => {
      const snapshot = await deps.fleetSnapshot();
      return c.json(buildStatus(snapshot, deps.jobLog, deps.pools.map((p) => p.name), deps.clock.now()));
    })
    .post(
      '/login',
      bodyLimit({
        maxSize: LOGIN_MAX_BYTES,
        onError: () => {
          throw new HttpError(413, 'payload_too_large', `the login form must be at most ${LOGIN_MAX_BYTES} bytes`);
        },
      }),
      async (c) => {
        if (!token) throw new HttpError(404, 'not_found', '/status needs fleetToken in the config');
        if (!sameOrigin(c)) throw new HttpError(403, 'forbidden', 'the login form must be posted from the status page itself');
        const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
        const given = form.token;
        if (typeof given !== 'string' || !(await safeEqual(given, token))) return c.html(loginPage('wrong-token'), 401);
        setCookie(c, STATUS_COOKIE, await sessionValue(token), { path: '/status', httpOnly: true, sameSite: 'Strict', secure: isHttps(c), maxAge: STATUS_SESSION_SECONDS });
        return c.redirect('/status', 303);
      },
    )
    .post('/logout', (c) => {
      deleteCookie(c, STATUS_COOKIE, { path: '/status', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
      return c.redirect('/status', 303);
    });
}
