/**
 * The status page's two documents, as plain templates. Neither carries fleet data: the page fetches
 * it from `/status/data` (page-script.ts) and writes it with textContent, so nothing from a host, a
 * runner record or GitHub is ever parsed as HTML.
 */

const HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="stylesheet" href="/status/app.css">`;

/** The page itself (only ever served to a request holding the fleet token). */
export const STATUS_PAGE = `${HEAD}
<title>tartfleet status</title>
</head>
<body>
<header>
  <h1>tartfleet</h1>
  <span id="updated" class="muted">loading…</span>
  <form method="post" action="/status/logout"><button type="submit">Log out</button></form>
</header>
<main>
  <section>
    <h2>Slots</h2>
    <div id="totals" class="totals"></div>
    <div id="hosts" class="hosts"></div>
    <p class="legend"><span class="cell busy"></span>busy <span class="cell booting"></span>booting <span class="cell warm"></span>warm <span class="cell free"></span>free <span class="cell suspect"></span>suspect <span class="cell draining"></span>draining</p>
  </section>
  <section>
    <h2>Queue</h2>
    <div class="scroll"><table id="queue"><thead><tr><th>pool</th><th>queued</th><th>oldest wait</th></tr></thead><tbody></tbody></table></div>
    <p class="muted">Jobs this dispatcher instance has seen queued (webhooks and its reconcile passes).</p>
  </section>
  <section>
    <h2>Runners</h2>
    <div class="scroll"><table id="runners"><thead><tr><th>runner</th><th>host</th><th>pool</th><th>job</th><th>stage</th><th>age</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section>
    <h2>Recent jobs</h2>
    <div class="scroll"><table id="jobs"><thead><tr><th>job</th><th>pool</th><th>runner</th><th>started</th><th>start latency</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section>
    <h2>Images</h2>
    <div class="scroll"><table id="images"><thead><tr><th>pool</th><th>image</th><th>hosts</th></tr></thead><tbody></tbody></table></div>
    <p id="github" class="muted"></p>
  </section>
</main>
<script src="/status/app.js" defer></script>
</body>
</html>
`;

export type LoginProblem = 'none' | 'wrong-token';

/** The login form; `problem` picks one of a fixed set of messages (nothing from the request is echoed). */
export function loginPage(problem: LoginProblem): string {
  const message = problem === 'wrong-token' ? '<p class="error" role="alert">That is not the fleet token.</p>' : '';
  return `${HEAD}
<title>tartfleet status: log in</title>
</head>
<body>
<main class="login">
  <h1>tartfleet status</h1>
  <form method="post" action="/status/login">
    <label for="token">Fleet token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required maxlength="1024">
    ${message}
    <button type="submit">Log in</button>
  </form>
  <p class="muted">The token is the dispatcher's <code>fleetToken</code>.</p>
</main>
</body>
</html>
`;
}
