/**
 * Who sent a slot-free callback. The agent signs it with its runner secret for the hostId
 * `tartfleet-dispatcher` (core/agent-api/auth.ts); the dispatcher knows hosts by URL and secret,
 * not by hostId. So the secret to check comes from the hostId the hosts' own `GET /v1/host`
 * answers named (the placer's cache), or from an earlier match; an unknown hostId is checked
 * against every configured secret (one HMAC per distinct secret, a few hundred at most) and the
 * match remembered. Hosts sharing a secret cannot be told apart by the signature alone: then only
 * the hostId learned from the hosts' answers picks one.
 */
import { createRequestVerifier, type ReceivedRequest, type RequestVerifier, type VerifyFailure } from '../../../core/agent-api/auth';

/** The hostId agents sign their callbacks for. */
export const DISPATCHER_HOST_ID = 'tartfleet-dispatcher';

export interface SlotAuthDeps {
  /** Configured hosts (URL without trailing slash, runner secret). */
  hosts: readonly { url: string; secret: string }[];
  /** hostId → host URL from the agents' last `GET /v1/host` answers. */
  knownHostIds: () => ReadonlyMap<string, string>;
  now: () => number;
}

export type SlotCaller =
  /** `host`: the URL this callback came from, when it is known for sure. `hosts`: every host the
   * signing secret belongs to. */
  | { ok: true; host: string | undefined; hosts: string[] }
  | { ok: false; reason: VerifyFailure };

export interface SlotAuth {
  verify(hostId: string | undefined, request: ReceivedRequest): Promise<SlotCaller>;
}

export function createSlotAuth(deps: SlotAuthDeps): SlotAuth {
  // One verifier (and replay cache) per distinct secret.
  const bySecret = new Map<string, { verifier: RequestVerifier; urls: string[] }>();
  const secretOf = new Map<string, string>();
  for (const { url, secret } of deps.hosts) {
    secretOf.set(url, secret);
    const known = bySecret.get(secret);
    if (known) {
      if (!known.urls.includes(url)) known.urls.push(url);
    } else {
      bySecret.set(secret, { verifier: createRequestVerifier({ hostId: DISPATCHER_HOST_ID, secrets: [secret], now: deps.now }), urls: [url] });
    }
  }
  // hostId → URL, learned from verified callbacks only, so at most one entry per configured host.
  const learned = new Map<string, string>();

  function hostFor(hostId: string | undefined): string | undefined {
    if (hostId === undefined) return undefined;
    return deps.knownHostIds().get(hostId) ?? learned.get(hostId);
  }

  return {
    async verify(hostId, request) {
      const guess = hostFor(hostId);
      const first = guess !== undefined ? secretOf.get(guess) : undefined;
      const order = [...(first !== undefined ? [first] : []), ...[...bySecret.keys()].filter((s) => s !== first)];
      let reason: VerifyFailure = 'bad-signature';
      for (const secret of order) {
        const { verifier, urls } = bySecret.get(secret) as { verifier: RequestVerifier; urls: string[] };
        const result = await verifier.verify(request);
        if (!result.ok) {
          reason = result.reason;
          // Anything but a wrong MAC (no headers, stale time, a replay) fails the same under every secret.
          if (reason !== 'bad-signature') break;
          continue;
        }
        const host = guess !== undefined && urls.includes(guess) ? guess : urls.length === 1 ? urls[0] : undefined;
        if (host !== undefined && hostId !== undefined && (learned.has(hostId) || learned.size < deps.hosts.length)) learned.set(hostId, host);
        return { ok: true, host, hosts: [...urls] };
      }
      return { ok: false, reason };
    },
  };
}
