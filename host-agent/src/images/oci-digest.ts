/**
 * Which digest an OCI name points at, read from tart's cache layout (docs/reference/tart-cli.md §1): a tag is a
 * symlink `cache/OCIs/<host, ':' as %3A>/<namespace>/<tag>` to the `sha256:<hex>` directory beside
 * it. Pruning needs this so that deleting a tag or digest never takes an image a pool uses under its
 * other name.
 */
import { readlinkSync } from 'node:fs';
import path from 'node:path';

/** `host/ns:tag` → {repo, tag}; `host/ns@sha256:x` → {repo, digest}; undefined for a local name. */
function splitOciName(name: string): { repo: string; tag?: string; digest?: string } | undefined {
  if (!name.includes('/')) return undefined;
  const at = name.indexOf('@');
  if (at >= 0) return { repo: name.slice(0, at), digest: name.slice(at + 1) };
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: 'latest' };
}

/** The cache directory (`…/sha256:<hex>`) an OCI name resolves to, or undefined when unknown. */
export function ociImageDir(tartHome: string, name: string): string | undefined {
  const resolved = resolveOciDigest(tartHome, name);
  if (resolved === undefined) return undefined;
  const at = resolved.indexOf('@');
  const [host = '', ...ns] = resolved.slice(0, at).split('/');
  return path.join(tartHome, 'cache', 'OCIs', host.replace(/:/g, '%3A'), ...ns, resolved.slice(at + 1));
}

/** `repo@sha256:…` the name resolves to in the cache of `tartHome`, or undefined when unknown. */
export function resolveOciDigest(tartHome: string, name: string): string | undefined {
  const parts = splitOciName(name);
  if (!parts) return undefined;
  if (parts.digest !== undefined) return `${parts.repo}@${parts.digest}`;
  const [host = '', ...ns] = parts.repo.split('/');
  const link = path.join(tartHome, 'cache', 'OCIs', host.replace(/:/g, '%3A'), ...ns, parts.tag ?? 'latest');
  try {
    const target = path.basename(readlinkSync(link));
    return /^sha256:[0-9a-f]+$/.test(target) ? `${parts.repo}@${target}` : undefined;
  } catch {
    return undefined;
  }
}
