/**
 * What each mirror serves, and how: the nginx-independent half of the generator. An upstream becomes
 * one or more routes (a location on the mirror), each with its own freshness and cache key.
 */
import { UPSTREAM_DEFAULTS, type CacheConfig, type UpstreamKind } from './cache-config-schema';

/** One upstream, defaults applied. */
export interface MirrorUpstream {
  /** Path segment on the mirror: clients fetch `/<name>/…`. */
  name: string;
  /** `prefix` for operator-listed URL prefixes. */
  kind: UpstreamKind | 'prefix';
  /** Origin plus path prefix that `/<name>` stands for. */
  url: URL;
  /** Connect here instead of the URL's host; Host header and TLS SNI stay the URL's host. */
  connect?: string;
}

/** One nginx location. */
export interface MirrorRoute {
  upstream: MirrorUpstream;
  /** A prefix location (`/npm/`) or a regex location, matched against the normalized path. */
  match: { prefix: string } | { regex: string };
  /** `refuse` answers 404 without going upstream (paths the mirror must not relay). */
  action: 'proxy' | 'refuse';
  /** Freshness of a 200, an nginx time. */
  ttl: string;
  /** true: the upstream's Cache-Control/Expires decide and `ttl` is the fallback. false: `ttl` rules
   * (the built-in registries are known; some send `max-age=0` for files that revalidate cheaply). */
  respectUpstreamCaching: boolean;
  /** Revalidate expired entries with If-Modified-Since / If-None-Match instead of refetching. */
  revalidate: boolean;
  /** Extra cache-key part for responses that differ by request header. */
  variant?: 'npm-accept' | 'accept';
  /** Fetch a redirect's target here and cache it under the original URL. */
  followRedirects: boolean;
  /** ghcr.io wants `Authorization: Bearer QQ==` (the anonymous token) for public Homebrew bottles. */
  anonymousGhcrToken: boolean;
  /** One line for the config file, saying why the route exists. */
  comment: string;
}

/** Built-in upstreams and operator prefixes, with defaults applied, in config order. */
export function resolveUpstreams(config: Pick<CacheConfig, 'upstreams' | 'prefixes'>): MirrorUpstream[] {
  const withConnect = (u: MirrorUpstream, connect: string | undefined): MirrorUpstream => (connect === undefined ? u : { ...u, connect });
  return [
    ...config.upstreams.map((u) =>
      withConnect({ name: u.name ?? UPSTREAM_DEFAULTS[u.kind].name, kind: u.kind, url: new URL(u.url ?? UPSTREAM_DEFAULTS[u.kind].url) }, u.connect),
    ),
    ...config.prefixes.map((p) => withConnect({ name: p.name, kind: 'prefix' as const, url: new URL(p.url) }, p.connect)),
  ];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The routes of every upstream, most specific first within each upstream. */
export function mirrorRoutes(config: Pick<CacheConfig, 'upstreams' | 'prefixes' | 'freshness'>): MirrorRoute[] {
  const prefixByName = new Map(config.prefixes.map((p) => [p.name, p]));
  return resolveUpstreams(config).flatMap((upstream): MirrorRoute[] => {
    const at = `/${escapeRegex(upstream.name)}/`;
    const base = { upstream, action: 'proxy' as const, respectUpstreamCaching: false, followRedirects: false, anonymousGhcrToken: false };
    const immutable = { ...base, ttl: config.freshness.immutable, revalidate: false };
    const metadata = { ...base, ttl: config.freshness.metadata, revalidate: true };
    const prefix = { prefix: `/${upstream.name}/` };
    switch (upstream.kind) {
      case 'homebrew-bottles':
        return [
          {
            ...immutable,
            match: { regex: `^${at}v2/.+/blobs/sha256:[0-9a-f]{64}$` },
            followRedirects: true,
            anonymousGhcrToken: true,
            comment: 'Homebrew bottles: blobs are addressed by digest; ghcr.io redirects them to a signed URL that is fetched here.',
          },
          {
            ...metadata,
            match: { regex: `^${at}v2/.+/manifests/[^/]+$` },
            variant: 'accept' as const,
            anonymousGhcrToken: true,
            comment: 'Homebrew bottle manifests: a tag can move, and the answer depends on Accept.',
          },
          {
            ...metadata,
            match: prefix,
            action: 'refuse' as const,
            comment: 'Anything else, e.g. whole URLs that Homebrew documents prefixing with HOMEBREW_ARTIFACT_DOMAIN (/homebrew/https://…): 404, this is not an open relay.',
          },
        ];
      case 'homebrew-api':
        return [{ ...metadata, match: prefix, comment: 'Homebrew JSON API (HOMEBREW_API_DOMAIN): signed documents that change every few minutes.' }];
      case 'npm':
        return [
          {
            ...immutable,
            match: { regex: `^${at}(?:@[^/]+/)?[^/]+/-/[^/]+\\.tgz$` },
            comment: 'npm tarballs: a published version never changes.',
          },
          {
            ...metadata,
            match: prefix,
            variant: 'npm-accept' as const,
            comment: 'npm package documents: short-lived; abbreviated (install-v1) and full documents are cached apart.',
          },
        ];
      case 'cocoapods':
        return [
          { ...immutable, match: { regex: `^${at}Specs/.+\\.podspec\\.json$` }, comment: 'CocoaPods CDN: a podspec path names its version.' },
          { ...metadata, match: prefix, comment: 'CocoaPods CDN indexes (all_pods_versions_*.txt, CocoaPods-version.yml): revalidated by ETag.' },
        ];
      case 'rubygems':
        return [
          {
            ...immutable,
            match: { regex: `^${at}(?:gems/[^/]+\\.gem|quick/Marshal\\.4\\.8/[^/]+\\.gemspec\\.rz)$` },
            followRedirects: true,
            comment: 'RubyGems: .gem files and gemspecs are immutable once pushed.',
          },
          { ...metadata, match: prefix, comment: 'RubyGems compact index (/versions, /info/<gem>) and other metadata.' },
        ];
      case 'github-releases':
        return [
          {
            ...immutable,
            match: prefix,
            followRedirects: true,
            comment: 'GitHub release assets (the Actions runner): versioned; github.com redirects to a signed asset URL that is fetched here.',
          },
        ];
      case 'prefix': {
        const p = prefixByName.get(upstream.name);
        if (p === undefined) throw new Error(`mirror prefix '${upstream.name}' has no entry in cache.prefixes`);
        return [
          {
            ...base,
            match: prefix,
            ttl: p.ttl,
            respectUpstreamCaching: !p.immutable,
            revalidate: !p.immutable,
            followRedirects: p.followRedirects,
            comment: `Operator prefix ${p.url}${p.immutable ? ' (immutable content)' : ''}.`,
          },
        ];
      }
    }
  });
}
