/**
 * The benchmark's network: one `fetch` that hands each request to the in-process Hono app serving
 * its origin (agents, the dispatcher, the fake GitHub), so the real HTTP layers and clients run
 * without sockets. Nothing leaves the process: an origin nobody serves fails like a refused connection.
 */

interface FetchHandler {
  fetch(request: Request): Response | Promise<Response>;
}

export interface InProcessNet {
  readonly fetch: typeof globalThis.fetch;
  /** Requests to `origin` (e.g. `http://127.1.0.7:8420`) go to `app` from now on. */
  serve(origin: string, app: FetchHandler): void;
  /** Replaces the global fetch (the fake GitHub's webhook sender uses it); returns the undo. */
  installGlobally(): () => void;
}

export function createInProcessNet(): InProcessNet {
  const apps = new Map<string, FetchHandler>();
  const fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const origin = new URL(request.url).origin;
    const app = apps.get(origin);
    if (!app) throw new TypeError(`fetch failed: nothing serves ${origin} in this process`, { cause: { code: 'ECONNREFUSED' } });
    const response = await app.fetch(request);
    // A network response knows its URL (Octokit's pagination reads it); one built in process does not.
    Object.defineProperty(response, 'url', { value: request.url });
    return response;
  }) as typeof globalThis.fetch;
  return {
    fetch,
    serve: (origin, app) => void apps.set(new URL(origin).origin, app),
    installGlobally() {
      const original = globalThis.fetch;
      globalThis.fetch = fetch;
      return () => {
        globalThis.fetch = original;
      };
    },
  };
}
