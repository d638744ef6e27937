/** A parsed OCI reference `host[:port]/namespace[:tag|@sha256:hex]` (tart's Reference.g4). */
export interface RemoteName {
  host: string;
  namespace: string;
  /** Tag, or undefined when `digest` is set. */
  tag: string | undefined;
  /** `sha256:<hex>` when pulled by digest. */
  digest: string | undefined;
}

/** Parses a remote name, or returns undefined for a local name (tart then looks it up locally). */
export function parseRemoteName(name: string): RemoteName | undefined {
  const slash = name.indexOf('/');
  if (slash <= 0) return undefined;
  const host = name.slice(0, slash);
  if (!/^(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|[A-Za-z0-9.-]+:\d+)$/.test(host) && !host.includes('.') && !host.includes(':')) return undefined;
  let rest = name.slice(slash + 1);
  let tag: string | undefined;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  } else {
    const lastSlash = rest.lastIndexOf('/');
    const colon = rest.indexOf(':', lastSlash + 1);
    if (colon >= 0) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    } else {
      tag = 'latest';
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) return undefined;
  }
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(rest)) return undefined;
  return { host, namespace: rest, tag, digest };
}

/** `host/ns:tag` or `host/ns@sha256:…`. */
export function formatRemoteName(r: RemoteName): string {
  return r.digest !== undefined ? `${r.host}/${r.namespace}@${r.digest}` : `${r.host}/${r.namespace}:${r.tag ?? 'latest'}`;
}

/** tart percent-encodes `:` in the host for cache paths: `localhost:5000` → `localhost%3A5000`. */
export function encodeHost(host: string): string {
  return host.replace(/:/g, '%3A');
}
