/** The status page's stylesheet: readable from a phone up (one column, tables scroll sideways). */
export const STATUS_CSS = `
:root { color-scheme: light dark; --busy: #d9480f; --booting: #f59f00; --warm: #1c7ed6; --free: #2f9e44; --suspect: #c2255c; --draining: #868e96; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid #8884; }
header h1 { font-size: 1.2rem; margin: 0; }
header form { margin-left: auto; }
main { padding: .5rem 1rem 2rem; max-width: 75rem; margin: 0 auto; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
.muted { color: #888; font-size: .85rem; }
.error { color: var(--suspect); }
.stale { color: var(--suspect); font-weight: 600; }
.totals { display: flex; flex-wrap: wrap; gap: .3rem 1rem; margin-bottom: .6rem; }
.totals b { font-variant-numeric: tabular-nums; }
.hosts { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .6rem; }
.host { border: 1px solid #8886; border-radius: .4rem; padding: .5rem .6rem; }
.host h3 { font-size: .95rem; margin: 0 0 .3rem; overflow-wrap: anywhere; }
.slots { display: flex; flex-wrap: wrap; gap: .25rem; }
.cell { display: inline-block; min-width: 4.6rem; padding: .15rem .35rem; border-radius: .25rem; color: #fff; font-size: .8rem; text-align: center; }
.legend .cell { min-width: 1rem; height: .8rem; padding: 0; margin: 0 .2rem 0 .6rem; vertical-align: middle; }
.busy { background: var(--busy); } .booting { background: var(--booting); } .warm { background: var(--warm); }
.free { background: var(--free); } .suspect { background: var(--suspect); } .draining { background: var(--draining); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .25rem .6rem .25rem 0; border-bottom: 1px solid #8883; white-space: nowrap; }
.login { max-width: 22rem; margin-top: 3rem; }
.login form { display: grid; gap: .5rem; }
input, button { font: inherit; padding: .4rem .6rem; }
@media (max-width: 30rem) { body { font-size: 14px; } main { padding: .3rem .6rem 1.5rem; } .cell { min-width: 3.8rem; } }
`;
