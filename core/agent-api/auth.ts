/**
 * HMAC-SHA256 request signing for the agent API (docs/architecture.md, "The agent API"), shared by the agent (verifies) and its
 * clients (sign). WebCrypto only: the client also runs inside Cloudflare Workers and the action
 * bundle, where node:crypto is missing or unwanted.
 *
 * Signed string: `tartfleet-v2\n<hostId>\n<METHOD>\n<path?query>\n<unix seconds>\n<nonce>\n<sha256 hex of body>`.
 * Hashing the body (instead of concatenating it) keeps the signed string small and unambiguous. The
 * random nonce makes two identical requests in the same second distinct, so replay rejection does
 * not also reject a client polling `GET /v1/host` twice in a second.
 *
 * `hostId` is the target agent's configured id (its `/healthz` names it). The agent checks against
 * its own id, never against anything the request says (a `Host` header is the sender's to choose),
 * so a request captured on one host is refused by every other. The version prefix changed to v2 with
 * it: a v1 client fails with 401 instead of being half understood.
 */
import { scopeOf, type AgentScope } from './scopes';

/** Unix time in seconds at which the request was signed. */
export const TIMESTAMP_HEADER = 'X-Tartfleet-Timestamp';
/** 32 random hex digits, fresh per request. */
export const NONCE_HEADER = 'X-Tartfleet-Nonce';
/** `sha256=<hex HMAC>` over the signed string. */
export const SIGNATURE_HEADER = 'X-Tartfleet-Signature';
/** On a 401 for a request signed before the agent's replay floor: the first unix second it accepts. */
export const NOT_BEFORE_HEADER = 'X-Tartfleet-Not-Before';
/** How far a timestamp may be from the verifier's clock, either way (±5 min). */
export const SIGNATURE_WINDOW_SECONDS = 300;

const SIGNATURE_PREFIX = 'sha256=';
const SIGNATURE_PATTERN = /^sha256=[0-9a-f]{64}$/;
const NONCE_PATTERN = /^[0-9a-f]{32}$/;
const encoder = new TextEncoder();

// Spelled via the global so the file needs neither the DOM lib nor a node: import.
type Subtle = typeof globalThis.crypto.subtle;
type HmacKey = Awaited<ReturnType<Subtle['importKey']>>;

/** What a signature covers. `path` includes the query string exactly as sent (`/v1/runners?x=1`). */
export interface SignedParts {
  /** The target agent's hostId. */
  hostId: string;
  /** HTTP method; compared upper-cased. */
  method: string;
  /** Path plus query string, as it appears in the request line. */
  path: string;
  /** Raw body bytes (empty for GET/DELETE). */
  body: Uint8Array | string;
}

function subtle(): Subtle {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (globalThis.crypto.subtle) is required for request signing and is not available in this runtime');
  return s;
}

function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

function toBytes(body: Uint8Array | string): Uint8Array<ArrayBuffer> {
  if (typeof body === 'string') return encoder.encode(body);
  const copy = new Uint8Array(body.byteLength);
  copy.set(body);
  return copy;
}

/** SHA-256 of the empty body, precomputed: GET and DELETE requests skip a hash. */
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The two primitives signing needs. WebCrypto by default (Workers, browsers, Node); the agent injects
 * node:crypto's synchronous versions, which cost microseconds instead of a thread-pool round trip
 * per call on the request path.
 */
export interface SigningCrypto {
  sha256Hex(data: Uint8Array<ArrayBuffer>): string | Promise<string>;
  hmacSha256Hex(secret: string, data: Uint8Array<ArrayBuffer>): string | Promise<string>;
}

/** WebCrypto implementation; imported keys are cached per secret. */
export function createWebCryptoSigning(): SigningCrypto {
  const keys = new Map<string, Promise<HmacKey>>();
  return {
    async sha256Hex(data) {
      return toHex(await subtle().digest('SHA-256', data));
    },
    async hmacSha256Hex(secret, data) {
      let key = keys.get(secret);
      if (key === undefined) {
        key = subtle().importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
        keys.set(secret, key);
      }
      return toHex(await subtle().sign('HMAC', await key, data));
    },
  };
}

async function signedString(crypto: SigningCrypto, parts: SignedParts, timestamp: string, nonce: string): Promise<Uint8Array<ArrayBuffer>> {
  const body = toBytes(parts.body);
  const bodyHash = body.byteLength === 0 ? EMPTY_BODY_SHA256 : await crypto.sha256Hex(body);
  return encoder.encode(`tartfleet-v2\n${parts.hostId}\n${parts.method.toUpperCase()}\n${parts.path}\n${timestamp}\n${nonce}\n${bodyHash}`);
}

function newNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return toHex(bytes);
}

/** Byte-wise comparison whose duration does not depend on where the inputs differ, so an attacker
 * cannot learn a valid signature one byte at a time from response timings. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i % x.length] ?? 0) ^ (y[i % y.length] ?? 0);
  return diff === 0;
}

/** A signer bound to one secret; the HmacKey is imported once and reused. */
export interface RequestSigner {
  /** The three headers to send with the request. `nowMs` defaults to `Date.now()`. */
  sign(parts: SignedParts, nowMs?: number): Promise<Record<string, string>>;
}

/** Create a signer for `secret` (the first of the agent's secrets). */
export function createRequestSigner(secret: string, crypto: SigningCrypto = createWebCryptoSigning()): RequestSigner {
  return {
    async sign(parts, nowMs = Date.now()) {
      const timestamp = String(Math.floor(nowMs / 1000));
      const nonce = newNonce();
      const mac = await crypto.hmacSha256Hex(secret, await signedString(crypto, parts, timestamp, nonce));
      return { [TIMESTAMP_HEADER]: timestamp, [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: SIGNATURE_PREFIX + mac };
    },
  };
}

/** Why a request was refused. Bounded set, safe to log and count. */
export type VerifyFailure =
  | 'missing-headers'
  | 'malformed'
  | 'stale-timestamp'
  | 'bad-signature'
  | 'wrong-scope'
  | 'signed-before-start'
  | 'replayed'
  | 'replay-cache-full';

export type VerifyResult =
  | { ok: true; scope: AgentScope }
  | { ok: false; reason: Exclude<VerifyFailure, 'signed-before-start'> }
  | { ok: false; reason: 'signed-before-start'; notBefore: number };

/**
 * What makes replay protection outlive the process. The in-memory cache forgets everything on a
 * restart, so the verifier also refuses timestamps below `notBefore` (every timestamp an earlier run
 * may have accepted is below it), and before accepting a timestamp asks `cover` to make sure the next
 * run's `notBefore` will be above it (the agent persists a mark in its stateDir).
 */
export interface ReplayFloor {
  /** Unix second: earlier timestamps are refused. */
  readonly notBefore: number;
  /** Resolves once a restarted verifier would refuse `timestamp`. */
  cover(timestamp: number, nowSeconds: number): Promise<void>;
}

/** The received request: signed parts plus the three header values (undefined when absent). The
 * hostId is the verifier's own, never the request's. */
export interface ReceivedRequest extends Omit<SignedParts, 'hostId'> {
  timestamp: string | undefined;
  nonce: string | undefined;
  signature: string | undefined;
}

export interface RequestVerifierOptions {
  /** This agent's hostId: only requests signed for it verify. */
  hostId: string;
  /** Runner-scope secrets: any one verifies, so a new secret can be rolled out before the old is retired. */
  secrets: readonly string[];
  /** Admin-scope secrets (scopes.ts); they verify on every route. None: admin routes refuse everything. */
  adminSecrets?: readonly string[];
  /** Refuses what an earlier run of the agent may have accepted; none: only this run's cache counts. */
  floor?: ReplayFloor;
  /** Current time in milliseconds (injected so tests can move it). */
  now: () => number;
  /** Defaults to SIGNATURE_WINDOW_SECONDS. */
  windowSeconds?: number;
  /** Defaults to WebCrypto. */
  crypto?: SigningCrypto;
  /** Upper bound on remembered signatures (default 100,000, about 10 MB: 333 requests/s sustained
   * for the whole window). Only verified requests are remembered, so only holders of a secret can
   * fill it; when full the verifier refuses rather than forgets (fail closed). */
  maxRemembered?: number;
}

export interface RequestVerifier {
  verify(request: ReceivedRequest): Promise<VerifyResult>;
  /** Signatures currently remembered for replay detection (for tests and metrics). */
  readonly remembered: number;
}

/** Verifies signed requests: window check, HMAC under each secret, constant-time compare, and a
 * replay cache holding each accepted signature until its timestamp leaves the window. */
export function createRequestVerifier(options: RequestVerifierOptions): RequestVerifier {
  if (options.secrets.length === 0) throw new Error('createRequestVerifier needs at least one secret, got none');
  const windowSeconds = options.windowSeconds ?? SIGNATURE_WINDOW_SECONDS;
  const maxRemembered = options.maxRemembered ?? 100_000;
  const crypto = options.crypto ?? createWebCryptoSigning();
  const keyring: Array<[string, AgentScope]> = [...options.secrets.map((s): [string, AgentScope] => [s, 'runner']), ...(options.adminSecrets ?? []).map((s): [string, AgentScope] => [s, 'admin'])];
  // signature → unix second after which its timestamp is outside the window. Map keeps insertion
  // order, which is close to expiry order, so pruning from the front is usually enough.
  const seen = new Map<string, number>();

  function prune(nowSeconds: number, full: boolean): void {
    for (const [sig, expires] of seen) {
      if (expires < nowSeconds) seen.delete(sig);
      else if (!full) break;
    }
  }

  return {
    get remembered() {
      return seen.size;
    },
    async verify(request) {
      const { timestamp, nonce, signature } = request;
      if (timestamp === undefined || nonce === undefined || signature === undefined) return { ok: false, reason: 'missing-headers' };
      if (!/^\d{1,12}$/.test(timestamp) || !NONCE_PATTERN.test(nonce) || !SIGNATURE_PATTERN.test(signature)) return { ok: false, reason: 'malformed' };
      const nowSeconds = Math.floor(options.now() / 1000);
      const ts = Number(timestamp);
      if (Math.abs(nowSeconds - ts) > windowSeconds) return { ok: false, reason: 'stale-timestamp' };

      const data = await signedString(crypto, { ...request, hostId: options.hostId }, timestamp, nonce);
      let scope: AgentScope | undefined;
      // Check every secret, even after a match, so timing does not reveal which secret signed.
      for (const [secret, secretScope] of keyring) {
        const expected = SIGNATURE_PREFIX + (await crypto.hmacSha256Hex(secret, data));
        if (timingSafeEqual(expected, signature)) scope = secretScope;
      }
      if (scope === undefined) return { ok: false, reason: 'bad-signature' };
      if (scope === 'runner' && scopeOf(request.path) === 'admin') return { ok: false, reason: 'wrong-scope' };
      if (options.floor !== undefined && ts < options.floor.notBefore) return { ok: false, reason: 'signed-before-start', notBefore: options.floor.notBefore };

      prune(nowSeconds, false);
      // 128 bits of the MAC identify it well enough and halve the cache's memory.
      const id = signature.slice(SIGNATURE_PREFIX.length, SIGNATURE_PREFIX.length + 32);
      if (seen.has(id)) return { ok: false, reason: 'replayed' };
      if (seen.size >= maxRemembered) {
        prune(nowSeconds, true);
        if (seen.size >= maxRemembered) return { ok: false, reason: 'replay-cache-full' };
      }
      seen.set(id, ts + windowSeconds);
      await options.floor?.cover(ts, nowSeconds);
      return { ok: true, scope };
    },
  };
}
