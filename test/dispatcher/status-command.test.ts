/** `tartfleet-dispatcher status`, in process: its arguments, its token, and what it prints of a view. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../dispatcher/src/cli';
import { renderStatusTable } from '../../dispatcher/src/status/render-status-table';
import type { StatusView } from '../../dispatcher/src/status/status-model';
import { setupApp } from '../helpers/dispatcher-harness';

const TOKEN = 'fleet-token-0123456789';

function io(env: Record<string, string | undefined>, fetchImpl?: typeof fetch) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env, onSignal: () => {}, ...(fetchImpl ? { fetch: fetchImpl } : {}) } };
}

/** fetch answered by the in-process dispatcher app. */
function appFetch(): typeof fetch {
  const { app } = setupApp();
  return (async (input: RequestInfo | URL, init?: RequestInit) => app.request(String(input), init)) as typeof fetch;
}

describe('tartfleet-dispatcher status', () => {
  it('prints the fleet as tables with the token from TARTFLEET_FLEET_TOKEN', async () => {
    const t = io({ TARTFLEET_FLEET_TOKEN: TOKEN }, appFetch());
    expect(await runCli(['status', '--url', 'http://dispatcher.test'], t.io), t.err.join('\n')).toBe(0);
    const text = t.out.join('\n');
    expect(text).toMatch(/^HOSTS/m);
    expect(text).toMatch(/^http:\/\/127\.0\.0\.1:1 +\.\. +0 +0 +0 +2 +0 +ok$/m);
    expect(text).toMatch(/^macos +0 +-$/m);
    const json = io({ TARTFLEET_FLEET_TOKEN: TOKEN }, appFetch());
    expect(await runCli(['status', '--url', 'http://dispatcher.test/', '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ totals: { hosts: 1, slots: 2, free: 2 } });
  });

  it('names what is wrong: the URL, the token, an unknown flag, an answer that is not a status view', async () => {
    const badUrl = io({ TARTFLEET_FLEET_TOKEN: TOKEN });
    expect(await runCli(['status', '--url', 'ftp://x'], badUrl.io)).toBe(64);
    expect(badUrl.err.join('')).toContain("--url must be the dispatcher's http(s) URL, got 'ftp://x'");
    const noToken = io({});
    expect(await runCli(['status', '--url', 'http://dispatcher.test'], noToken.io)).toBe(78);
    expect(noToken.err.join('')).toContain('set TARTFLEET_FLEET_TOKEN');
    const flag = io({ TARTFLEET_FLEET_TOKEN: TOKEN });
    expect(await runCli(['status', '--token', TOKEN], flag.io)).toBe(64);
    expect(flag.err.join('')).toContain("Unknown option '--token'");
    const wrong = io({ TARTFLEET_FLEET_TOKEN: 'wrong' }, appFetch());
    expect(await runCli(['status', '--url', 'http://dispatcher.test'], wrong.io)).toBe(69);
    expect(wrong.err.join('')).toContain('401');
    const junk = io({ TARTFLEET_FLEET_TOKEN: TOKEN }, (async () => Response.json({ hosts: 'no' })) as typeof fetch);
    expect(await runCli(['status', '--url', 'http://dispatcher.test'], junk.io)).toBe(69);
    expect(junk.err.join('')).toMatch(/not a status view \(generatedAt: /);
  });

  it('does not pass control characters from the fleet to the terminal', () => {
    const view: StatusView = {
      generatedAt: '2026-01-01T00:00:00.000Z',
      totals: { hosts: 1, reachable: 0, slots: 0, busy: 0, booting: 0, warm: 0, free: 0, suspect: 0, draining: 0 },
      hosts: [{ url: 'http://h', draining: false, error: 'boom\u001b[2J\u0007', slots: { total: 0, busy: 0, booting: 0, warm: 0, free: 0, suspect: 0 }, cells: [] }],
      runners: [],
      queue: [],
      recentJobs: [],
      images: [],
      github: { registrations: 0, rateLimitRemaining: null },
    };
    const text = renderStatusTable(view);
    expect(text).toContain('unreachable: boom?[2J?');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });
});
