/**
 * The status page in a real browser (Debian's headless Chromium) over a fleet of real processes
 * during a burst: the login form and its cookie, the picture agreeing with `GET /v1/fleet`, live
 * updates without a reload, a phone-sized layout, and `tartfleet-dispatcher status` against the same
 * fleet. Screenshots go to test-artifacts/ at the repository root (kept by CI, ignored by git).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerRecord, HostInfo } from '../../core/agent-api/contract';
import { startFleet, type Fleet } from '../../demo/src/fleet';
import { waitFor } from '../../demo/src/proc';
import { launchChromium, type Browser } from '../helpers/chromium';

const root = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(root, 'test-artifacts');
const LABELS = ['self-hosted', 'macOS', 'arm64'];

let fleet: Fleet;
let browser: Browser;
beforeAll(async () => {
  fleet = await startFleet({ root, hosts: 2, pools: [{ name: 'macos', labels: ['macOS', 'arm64'] }], bootMs: 1_000, dispatcher: { intervalMs: 3_000, busyIntervalMs: 500, offlineGraceMs: 15_000, idleGraceMs: 20_000 } });
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fleet?.close();
}, 60_000);

/** `tartfleet-dispatcher status --url <fleet>` with `token` in the environment (or none). */
function statusCommand(token: string | undefined): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env, TARTFLEET_FLEET_TOKEN: token };
  if (token === undefined) delete env.TARTFLEET_FLEET_TOKEN;
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'build/dispatcher/tartfleet-dispatcher.mjs'), 'status', '--url', fleet.dispatcherUrl()], { env, timeout: 30_000 }, (error, out, err) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, out, err });
    });
  });
}

interface Shown {
  generated: string | null;
  hosts: { id: string; cells: string[] }[];
  runners: string[];
  queue: Record<string, number>;
  jobs: number;
}

/** What the page shows right now, read from the DOM as a person would read it. */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => ({
    generated: document.getElementById('updated')?.getAttribute('data-generated') ?? null,
    hosts: Array.from(document.querySelectorAll<HTMLElement>('.host')).map((h) => ({ id: h.dataset.host ?? '', cells: Array.from(h.querySelectorAll<HTMLElement>('.cell')).map((c) => c.dataset.state ?? '') })),
    runners: Array.from(document.querySelectorAll<HTMLElement>('#runners tr[data-runner]')).map((r) => r.dataset.runner ?? '').sort(),
    queue: Object.fromEntries(Array.from(document.querySelectorAll<HTMLElement>('#queue tr[data-pool]')).map((r) => [r.dataset.pool ?? '', Number(r.querySelector('[data-depth]')?.textContent)])),
    jobs: document.querySelectorAll('#jobs tr[data-job]').length,
  }));
}

async function fleetJson(f: Fleet): Promise<{ hosts: { info?: HostInfo; runners: RunnerRecord[] }[] }> {
  const res = await fetch(`${f.dispatcherUrl()}/v1/fleet`, { headers: { authorization: `Bearer ${f.fleetToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { hosts: { info?: HostInfo; runners: RunnerRecord[] }[] };
}

/** The page's picture against /v1/fleet's: per host the slot counts, and the live runners. */
function disagreement(s: Shown, fleetView: Awaited<ReturnType<typeof fleetJson>>): string | undefined {
  const live = fleetView.hosts.flatMap((h) => h.runners.filter((r) => r.stage !== 'gone').map((r) => r.name)).sort();
  if (JSON.stringify(live) !== JSON.stringify(s.runners)) return `runners: page ${s.runners.join(',')} vs fleet ${live.join(',')}`;
  for (const h of fleetView.hosts) {
    const page = s.hosts.find((x) => x.id === h.info?.id);
    if (!h.info || !page) return `host ${h.info?.id ?? '?'} missing`;
    const n = (...states: string[]) => page.cells.filter((c) => states.includes(c)).length;
    const { total, busy, free } = h.info.slots;
    if (page.cells.length !== total || n('busy', 'booting') !== busy || n('free') !== free) return `host ${h.info.id}: page ${page.cells.join(',')} vs slots ${JSON.stringify(h.info.slots)}`;
  }
  return undefined;
}

describe('status page', () => {
  it('refuses requests without the fleet token, or with a wrong one, and lets nothing be cached', async () => {
    const url = fleet.dispatcherUrl();
    const anon = await fetch(`${url}/status`);
    expect(anon.status).toBe(401);
    expect(await anon.text()).toContain('action="/status/login"');
    for (const res of [anon, await fetch(`${url}/status/data`), await fetch(`${url}/status/data`, { headers: { authorization: 'Bearer not-the-token' } })]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect((await fetch(`${url}/status/data`)).status).toBe(401);
    expect((await fetch(`${url}/status/data`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    const ok = await fetch(`${url}/status/data`, { headers: { authorization: `Bearer ${fleet.fleetToken}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  it('shows hosts and runners during a burst, agreeing with /v1/fleet, and updates without a reload', async () => {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const first = await page.goto(`${fleet.dispatcherUrl()}/status`);
    expect(first?.status()).toBe(401);
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=That is not the fleet token.');
    expect(await browser.context.cookies()).toEqual([]);
    await page.fill('#token', fleet.fleetToken);
    await Promise.all([page.waitForURL(`${fleet.dispatcherUrl()}/status`), page.click('button[type=submit]')]);
    await page.waitForSelector('.host');
    const [cookie] = await browser.context.cookies();
    expect(cookie).toMatchObject({ name: 'tartfleet_status', httpOnly: true, sameSite: 'Strict', secure: false, path: '/status' });
    expect(cookie?.value).not.toContain(fleet.fleetToken);
    // Set once; a reload would lose it.
    await page.evaluate(() => Object.assign(window, { tartfleetNoReload: true }));

    // Six 6 s jobs on 2 hosts × 2 slots: four run while two wait.
    const ids = fleet.github.enqueueRun({ workflowName: 'CI', jobs: Array.from({ length: 6 }, (_, i) => ({ name: `job-${i}`, labels: LABELS, durationMs: 6_000 })) }).jobIds;
    await waitFor('busy slots on the page', async () => (await shown(page)).hosts.some((h) => h.cells.includes('busy')), 20_000);
    let last = '';
    await waitFor(
      'the page to agree with /v1/fleet',
      async () => {
        const before = (await shown(page)).generated;
        await page.waitForFunction((g) => document.getElementById('updated')?.getAttribute('data-generated') !== g, before, { timeout: 5_000 });
        const [s, f] = [await shown(page), await fleetJson(fleet)];
        last = disagreement(s, f) ?? '';
        return last === '' && s.runners.length > 0;
      },
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; last difference: ${last}`);
    });
    const during = await shown(page);
    expect(during.hosts.map((h) => h.id).sort()).toEqual(['mini-1', 'mini-2']);
    expect(during.hosts.every((h) => h.cells.length === 2)).toBe(true);
    // The queue shows the jobs GitHub still has queued (it lags by at most a poll).
    await waitFor('queue depth to match GitHub', async () => (await shown(page)).queue.macos === ids.filter((id) => fleet.github.job(id)?.status === 'queued').length, 10_000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-burst.png'), fullPage: true });

    // The status command sees the same fleet.
    const { code, out, err } = await statusCommand(fleet.fleetToken);
    expect(code, err).toBe(0);
    expect(out).toMatch(/^mini-1 +[Bb.W!D]{2} /m);
    expect(out).toMatch(/^mini-2 +[Bb.W!D]{2} /m);
    expect(out).toMatch(/^tf-macos-j\d+a\d+ +mini-\d +macos +\d+ +\S+/m);
    expect(out).toMatch(/^macos +\d+ +/m);
    expect(out).not.toContain(fleet.fleetToken);

    // Live: every job ends, the runners leave and six starts are listed, with no reload.
    await waitFor('all jobs done on the page', async () => ids.every((id) => fleet.github.job(id)?.status === 'completed') && (await shown(page)).jobs >= 6, 45_000);
    await waitFor('runners gone from the page', async () => (await shown(page)).runners.length === 0, 20_000);
    expect(await page.evaluate(() => (window as unknown as { tartfleetNoReload?: boolean }).tartfleetNoReload)).toBe(true);
    const latencies = await page.$$eval('#jobs tr[data-job] td:nth-child(5)', (tds) => tds.map((td) => td.textContent ?? ''));
    for (const l of latencies) expect(l).toMatch(/^\d+\.\d s/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-after.png'), fullPage: true });

    // On a phone: nothing wider than the screen except the tables' own scrolling boxes.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });
  }, 120_000);

  it('status command: a wrong token fails with a clear message and exit 69; a missing one with 78', async () => {
    const wrong = await statusCommand('not-the-token');
    expect(wrong.code).toBe(69);
    expect(wrong.err).toContain("401, TARTFLEET_FLEET_TOKEN is not the dispatcher's fleetToken");
    const missing = await statusCommand(undefined);
    expect(missing.code).toBe(78);
    expect(missing.err).toContain('set TARTFLEET_FLEET_TOKEN');
  });
});
