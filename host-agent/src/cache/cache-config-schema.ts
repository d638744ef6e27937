/**
 * The `cache` section of the agent config: an nginx pull-through mirror on the host (issue 8).
 * The agent config hooks it in as `cache: cacheConfigSchema.optional()`; absent means no mirror.
 *
 * Every string here ends up inside nginx.conf, so each one is held to a narrow alphabet at the door:
 * a stray `;`, quote or brace in a path or URL would otherwise change the meaning of the config.
 */
import { isIP, isIPv4 } from 'node:net';
import { z } from 'zod';

/** The mirrors this project knows how to route and how to point a package manager at. */
export const UPSTREAM_KINDS = ['homebrew-bottles', 'homebrew-api', 'npm', 'cocoapods', 'rubygems', 'github-releases'] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

/** Path segment (`/<name>/…`) and default origin of each kind. */
export const UPSTREAM_DEFAULTS: Record<UpstreamKind, { name: string; url: string }> = {
  // Homebrew replaces the `https://ghcr.io` of a bottle URL with HOMEBREW_ARTIFACT_DOMAIN (env_config.rb).
  'homebrew-bottles': { name: 'homebrew', url: 'https://ghcr.io' },
  'homebrew-api': { name: 'homebrew-api', url: 'https://formulae.brew.sh/api' },
  npm: { name: 'npm', url: 'https://registry.npmjs.org' },
  cocoapods: { name: 'cocoapods', url: 'https://cdn.cocoapods.org' },
  rubygems: { name: 'rubygems', url: 'https://rubygems.org' },
  'github-releases': { name: 'actions-runner', url: 'https://github.com/actions/runner/releases/download' },
};

/** The mirror's own endpoints live under this path segment (health check). */
export const RESERVED_NAME = 'tartfleet';

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** nginx size: `50g`, `512m`, `1024`. */
const NGINX_SIZE = /^[1-9][0-9]*[kmg]?$/;
/** nginx time: `30d`, `5m`, `1h30m`, `500ms`. */
const NGINX_TIME = /^(?:[0-9]+(?:ms|[smhdwMy])?)+$/;
/** Absolute path without characters nginx would read as syntax (space, `;`, quotes, braces, `$`, `#`). */
const SAFE_PATH = /^\/[A-Za-z0-9._+@/-]*$/;
const URL_PATH = /^[A-Za-z0-9._~!*'()+,=:@%/-]*$/;

const nameSchema = z.string().regex(NAME, 'mirror names are a lowercase letter followed by up to 30 lowercase letters, digits or dashes (they become the URL path /<name>/)');
const sizeSchema = z.string().regex(NGINX_SIZE, 'sizes are nginx sizes like 50g, 512m or 1024k');
const timeSchema = z.string().regex(NGINX_TIME, 'durations are nginx times like 30d, 5m or 1h30m');
const pathSchema = z.string().regex(SAFE_PATH, 'paths must be absolute and contain only letters, digits and . _ + @ / -');
const ipSchema = z.string().refine((s) => isIP(s) !== 0, { message: 'must be an IPv4 or IPv6 address' });
const cidrSchema = z.string().refine(
  (s) => {
    const [addr, bits, ...rest] = s.split('/');
    if (rest.length > 0 || addr === undefined) return false;
    const family = isIP(addr);
    if (family === 0) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^[0-9]{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
  },
  { message: 'must be an address or CIDR like 192.168.64.0/24' },
);
/** `host:port` (or `[v6]:port`) to connect to instead of the URL's host; Host and SNI stay the URL's. */
const connectSchema = z.string().regex(/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$/, 'connect must be host:port');

/** An http(s) origin plus an optional path prefix, no credentials, query or fragment. */
const upstreamUrlSchema = z.string().superRefine((raw, ctx) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: `upstream url must be an absolute http(s) URL, got '${raw}'` });
    return;
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`scheme must be https or http, got '${url.protocol}'`);
  if (url.username !== '' || url.password !== '') problems.push('credentials do not belong in the URL (a mirror never forwards secrets)');
  if (url.search !== '' || url.hash !== '') problems.push('query and fragment are not allowed');
  if (!URL_PATH.test(url.pathname)) problems.push(`path '${url.pathname}' contains characters nginx would misread`);
  if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(url.hostname)) problems.push(`host '${url.hostname}' is not a plain host name or address`);
  for (const message of problems) ctx.addIssue({ code: 'custom', message: `upstream url '${raw}': ${message}` });
});

/** A built-in mirror: the kind decides routes, freshness and the variable that points clients at it. */
export const upstreamConfigSchema = z.strictObject({
  kind: z.enum(UPSTREAM_KINDS),
  /** Path segment on the mirror; defaults per kind (see UPSTREAM_DEFAULTS). */
  name: nameSchema.optional(),
  /** Origin (and path prefix) to mirror; defaults per kind, e.g. an internal npm registry instead. */
  url: upstreamUrlSchema.optional(),
  /** Connect here instead of resolving the URL's host (split DNS, egress proxies, tests). */
  connect: connectSchema.optional(),
});
export type UpstreamConfig = z.infer<typeof upstreamConfigSchema>;

/** An operator-listed URL prefix (Xcode simulator runtimes, internal artifacts). */
export const prefixConfigSchema = z.strictObject({
  name: nameSchema,
  url: upstreamUrlSchema,
  /** How long a 200 stays fresh. */
  ttl: timeSchema.default('7d'),
  /** true: the content behind a URL never changes, so the upstream's Cache-Control is ignored and
   * `ttl` rules; false: the upstream's caching headers win and `ttl` is only the fallback. */
  immutable: z.boolean().default(true),
  /** Fetch a redirect's target on the host and cache it under the original URL (GitHub release
   * assets and most artifact stores answer with a signed, short-lived redirect). */
  followRedirects: z.boolean().default(true),
  connect: connectSchema.optional(),
});
export type PrefixConfig = z.infer<typeof prefixConfigSchema>;

const listenSchema = z.strictObject({
  address: ipSchema,
  port: z.number().int().min(1).max(65535),
});

/** The default bridge a Tart VM with shared (NAT) networking sees as its gateway: vmnet's
 * 192.168.64.0/24, the host being .1. The bridge only exists while a VM runs (see deploy/README.md). */
export const DEFAULT_VMNET_GATEWAY = '192.168.64.1';
export const DEFAULT_MIRROR_PORT = 8480;

export const cacheConfigSchema = z
  .strictObject({
    /** Where nginx listens: where VMs reach the host, never every interface unless asked. */
    listen: z.array(listenSchema).min(1).default([{ address: DEFAULT_VMNET_GATEWAY, port: DEFAULT_MIRROR_PORT }]),
    /** Permit 0.0.0.0 / :: in `listen`. The mirror is unauthenticated; on a wildcard address it serves
     * (and fills its disk for) anyone who can reach the host. */
    allowWildcardListen: z.boolean().default(false),
    /** Client addresses allowed to use the mirror; everyone else gets 403. Unset: the /24 of each
     * listen address (the VM network behind that bridge). */
    clients: z.array(cidrSchema).min(1).optional(),
    /** The host's address as the VMs see it. Unset: derived per VM as x.y.z.1 of its /24. */
    vmGateway: ipSchema.optional(),
    /** nginx `user` directive; only meaningful when nginx starts as root. */
    user: z.string().regex(/^[a-z_][a-z0-9_-]*(?: [a-z_][a-z0-9_-]*)?$/).optional(),
    workerProcesses: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
    cacheDir: pathSchema.default('/opt/homebrew/var/cache/tartfleet-mirror'),
    /** Upper bound of the cache on disk; nginx's cache manager evicts least recently used beyond it. */
    maxSize: sizeSchema.default('50g'),
    /** Evict until the disk has this much free space: Tart clones VMs onto the same volume, and a
     * full disk fails the next clone long before the cache reaches maxSize. */
    minFree: sizeSchema.default('20g'),
    /** Evict what nobody asked for during this long, fresh or not. */
    inactive: timeSchema.default('30d'),
    /** Shared-memory key zone; 1 MB holds about 8,000 keys. */
    keysZoneMb: z.number().int().min(1).max(1024).default(64),
    accessLog: pathSchema.default('/opt/homebrew/var/log/nginx/tartfleet-mirror.access.log'),
    errorLog: pathSchema.default('/opt/homebrew/var/log/nginx/tartfleet-mirror.error.log'),
    pidFile: pathSchema.default('/opt/homebrew/var/run/tartfleet-mirror.pid'),
    freshness: z
      .strictObject({
        /** Indexes and package documents: short, revalidated with the upstream when they expire. */
        metadata: timeSchema.default('5m'),
        /** Content-addressed or versioned files (bottles, tarballs, gems, runner releases). */
        immutable: timeSchema.default('30d'),
      })
      .prefault({}),
    lock: z
      .strictObject({
        /** How long concurrent misses wait for the one fetch in flight before going upstream uncached. */
        timeout: timeSchema.default('10m'),
        /** How long a fill may run before one more request may try. */
        age: timeSchema.default('10m'),
      })
      .prefault({}),
    /** DNS servers nginx uses for upstream hosts, resolved at request time (nginx does not read
     * /etc/resolv.conf). */
    resolvers: z.array(ipSchema).min(1).default(['1.1.1.1', '8.8.8.8']),
    tls: z
      .strictObject({
        /** Verify upstream certificates. Only a test against a self-signed upstream turns this off. */
        verify: z.boolean().default(true),
        /** CA bundle; macOS ships /etc/ssl/cert.pem. */
        trustedCertificate: pathSchema.default('/etc/ssl/cert.pem'),
      })
      .prefault({}),
    upstreams: z.array(upstreamConfigSchema).default(UPSTREAM_KINDS.map((kind) => ({ kind }))),
    prefixes: z.array(prefixConfigSchema).default([]),
  })
  .superRefine((config, ctx) => {
    config.listen.forEach((l, i) => {
      if (config.clients === undefined && (!isIPv4(l.address) || l.address === '0.0.0.0')) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients'],
          message: `clients must be set when listening on ${l.address}: no VM network can be derived from that address`,
        });
      }
      if (!config.allowWildcardListen && (l.address === '0.0.0.0' || l.address === '::')) {
        ctx.addIssue({
          code: 'custom',
          path: ['listen', i, 'address'],
          message: `listen address ${l.address} exposes the unauthenticated mirror on every interface; use the VM bridge address (e.g. ${DEFAULT_VMNET_GATEWAY}) or set allowWildcardListen`,
        });
      }
    });
    const seen = new Map<string, string>();
    const claim = (name: string, where: string, path: (string | number)[]): void => {
      const other = seen.get(name);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path, message: `mirror name '${name}' is used by both ${other} and ${where}` });
      else seen.set(name, where);
    };
    config.upstreams.forEach((u, i) => claim(u.name ?? UPSTREAM_DEFAULTS[u.kind].name, `upstreams[${i}] (${u.kind})`, ['upstreams', i]));
    config.prefixes.forEach((p, i) => claim(p.name, `prefixes[${i}]`, ['prefixes', i, 'name']));
    if (seen.has(RESERVED_NAME)) ctx.addIssue({ code: 'custom', path: ['upstreams'], message: `mirror name '${RESERVED_NAME}' is reserved` });
  })
  .transform((config) => ({
    ...config,
    clients: config.clients ?? [...new Set(config.listen.map((l) => `${l.address.split('.').slice(0, 3).join('.')}.0/24`))],
  }));
export type CacheConfig = z.infer<typeof cacheConfigSchema>;
export type CacheConfigInput = z.input<typeof cacheConfigSchema>;
