import {
  existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Ctx } from './context';
import { copyVmFiles } from './copy-vm-files';
import { genericError } from './errors';
import { lazy } from './lazy-node';
import { tryLock, unlock } from './pid-lock';
import { encodeHost, formatRemoteName, type RemoteName } from './remote-name';
import { tmpOwnerPath } from './tart-home';
import { VmDir } from './vm-dir';

/**
 * The simulator's registry: a directory standing in for ghcr.io. An image is
 * `<registry>/<host>/<namespace>/blobs/sha256:<hex>/` (config.json, disk.img, nvram.bin,
 * manifest.json, guest/) and a tag is the file `<registry>/<host>/<namespace>/tags/<tag>` holding a
 * digest. `tart push` writes it; `TART_SIM_REGISTRY` (default `$TART_HOME/.sim/registry`) locates it,
 * so several TART_HOMEs (hosts of a simulated fleet) can share one.
 */
export function registryRoot(ctx: Ctx): string {
  return ctx.env.TART_SIM_REGISTRY ?? path.join(ctx.home.sim, 'registry');
}

function repoDir(root: string, r: RemoteName): string {
  return path.join(root, encodeHost(r.host), r.namespace);
}

/** The cache directory of a digest: `cache/OCIs/<host>/<ns>/sha256:<hex>`. */
export function cacheDigestDir(ctx: Ctx, r: RemoteName, digest: string): string {
  return path.join(repoDir(ctx.home.ocis, r), digest);
}

/** The cached image a remote name resolves to, following the tag symlink; undefined if not cached. */
export function cachedImage(ctx: Ctx, r: RemoteName): VmDir | undefined {
  const p = r.digest !== undefined ? cacheDigestDir(ctx, r, r.digest) : path.join(repoDir(ctx.home.ocis, r), r.tag ?? 'latest');
  try {
    const dir = new VmDir(path.resolve(path.dirname(p), readlinkOrSelf(p)));
    return dir.initialized() ? dir : undefined;
  } catch {
    return undefined;
  }
}

function readlinkOrSelf(p: string): string {
  return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : p;
}

function sha256(data: string | Buffer): string {
  return `sha256:${lazy.crypto().createHash('sha256').update(data).digest('hex')}`;
}

/** Hashes a directory tree (paths, modes, contents) so an unchanged guest image keeps its digest. */
function treeDigest(dir: string): string {
  const hash = lazy.crypto().createHash('sha256');
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, entry.name);
      hash.update(path.relative(dir, p));
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) hash.update(String(statSync(p).mode)).update(readFileSync(p));
    }
  };
  walk(dir);
  return `sha256:${hash.digest('hex')}`;
}

/** Builds the manifest a Tart push would upload (layer digests sampled: disks are multi-GB sparse files). */
function buildManifest(vm: VmDir): string {
  const config = readFileSync(vm.configPath);
  const nvram = readFileSync(vm.nvramPath);
  const disk = statSync(vm.diskPath);
  const diskDigest = sha256(`${disk.size}:${disk.blocks}:${treeDigest(vm.guestRoot)}`);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: [
      { mediaType: 'application/vnd.cirruslabs.tart.config.v1', size: config.length, digest: sha256(config) },
      { mediaType: 'application/vnd.cirruslabs.tart.disk.v2', size: disk.blocks * 512, digest: diskDigest, annotations: { 'org.cirruslabs.tart.uncompressed-size': String(disk.size) } },
      { mediaType: 'application/vnd.cirruslabs.tart.nvram.v1', size: nvram.length, digest: sha256(nvram) },
    ],
    annotations: { 'org.cirruslabs.tart.uncompressed-disk-size': String(disk.size) },
  };
  return JSON.stringify(manifest, null, 2);
}

/** Uploads a VM to the directory registry under every given tag; returns the manifest digest. */
export function pushToRegistry(ctx: Ctx, vm: VmDir, r: RemoteName): string {
  const manifest = buildManifest(vm);
  const digest = sha256(manifest);
  const repo = repoDir(registryRoot(ctx), r);
  const blob = path.join(repo, 'blobs', digest);
  if (!existsSync(path.join(blob, 'manifest.json'))) {
    const staging = `${blob}.${lazy.crypto().randomUUID()}`;
    mkdirSync(staging, { recursive: true });
    copyVmFiles(vm.dir, staging, ['config.json', 'nvram.bin', 'disk.img', 'guest']);
    writeFileSync(path.join(staging, 'manifest.json'), manifest);
    rmSync(blob, { recursive: true, force: true });
    renameSync(staging, blob);
  }
  if (r.tag !== undefined) {
    mkdirSync(path.join(repo, 'tags'), { recursive: true });
    const tmp = path.join(repo, 'tags', `.${r.tag}.${process.pid}`);
    writeFileSync(tmp, digest);
    renameSync(tmp, path.join(repo, 'tags', r.tag));
  }
  return digest;
}

/** Resolves a remote name against the registry, like the manifest GET; undefined when unknown (404). */
function resolveInRegistry(ctx: Ctx, r: RemoteName): { digest: string; blob: string } | undefined {
  const repo = repoDir(registryRoot(ctx), r);
  let digest = r.digest;
  if (digest === undefined) {
    try {
      digest = readFileSync(path.join(repo, 'tags', r.tag ?? 'latest'), 'utf8').trim();
    } catch {
      return undefined;
    }
  }
  const blob = path.join(repo, 'blobs', digest);
  return existsSync(path.join(blob, 'manifest.json')) ? { digest, blob } : undefined;
}

function printProgress(ctx: Ctx, values: number[]): void {
  // With CI set tart prints one line per change; otherwise it redraws the previous line with ANSI codes.
  values.forEach((v, i) => ctx.out(ctx.env.CI === undefined && i > 0 ? `\x1b[1A\r\x1b[J${v}%\n` : `${v}%\n`));
}

/**
 * `tart pull`: copies an image from the registry into `cache/OCIs` and links the tag to its digest,
 * with tart's stdout lines. Registry failures are `Error: UnexpectedHTTPStatusCode(…)` (exit 1).
 */
export function pullImage(ctx: Ctx, r: RemoteName): VmDir {
  const shown = formatRemoteName(r);
  ctx.out(`pulling ${shown}...\n`);
  const failCode = ctx.faults.number('pull-fail', shown, 500);
  if (failCode !== undefined) {
    throw genericError(`UnexpectedHTTPStatusCode(when: "pulling manifest", code: ${failCode}, details: "")`);
  }
  const found = resolveInRegistry(ctx, r);
  if (found === undefined) {
    throw genericError('UnexpectedHTTPStatusCode(when: "pulling manifest", code: 404, details: "{\\"errors\\":[{\\"code\\":\\"MANIFEST_UNKNOWN\\",\\"message\\":\\"manifest unknown\\"}]}")');
  }
  const digestDir = cacheDigestDir(ctx, r, found.digest);
  const byDigest = `${r.host}/${r.namespace}@${found.digest}`;
  const linkPath = r.tag !== undefined ? path.join(path.dirname(digestDir), r.tag) : undefined;
  if (new VmDir(digestDir).initialized()) {
    const linked = linkPath !== undefined && existsSync(linkPath) && path.resolve(path.dirname(linkPath), readlinkSync(linkPath)) === digestDir;
    if (linked || linkPath === undefined) {
      ctx.out(`${byDigest} image is already cached and linked!\n`);
    } else {
      ctx.out(`${byDigest} image is already cached! creating a symlink...\n`);
      linkTag(linkPath, digestDir);
    }
    return new VmDir(digestDir);
  }
  ctx.out('pulling manifest...\n');
  const entry = lazy.crypto().createHash('md5').update(shown).digest('hex');
  const owner = tmpOwnerPath(ctx.home, entry);
  if (!tryLock(owner)) ctx.out('waiting for lock...\n');
  const work = path.join(ctx.home.tmp, entry);
  try {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const disk = statSync(path.join(found.blob, 'disk.img'));
    ctx.out(`pulling disk (${((disk.blocks * 512) / 1e9).toFixed(1)} GB compressed)...\n`);
    copyVmFiles(found.blob, work, ['config.json', 'disk.img', 'manifest.json', 'guest']);
    printProgress(ctx, [0, 100]);
    ctx.out('pulling NVRAM...\n');
    copyVmFiles(found.blob, work, ['nvram.bin']);
    if (r.digest !== undefined) writeFileSync(path.join(work, '.explicitly-pulled'), '');
    mkdirSync(path.dirname(digestDir), { recursive: true });
    rmSync(digestDir, { recursive: true, force: true });
    renameSync(work, digestDir);
  } finally {
    unlock(owner);
  }
  if (linkPath !== undefined) linkTag(linkPath, digestDir);
  gcOci(ctx);
  return new VmDir(digestDir);
}

/** Points the tag symlink (absolute target, like tart) at a digest directory, atomically. */
function linkTag(linkPath: string, digestDir: string): void {
  const tmp = `${linkPath}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(digestDir, tmp);
  renameSync(tmp, linkPath);
}

/** One cache entry as `tart list` shows it. */
export interface OciEntry {
  /** `host/ns:tag` or `host/ns@sha256:…`. */
  name: string;
  /** The digest directory (a tag resolves through its symlink). */
  vm: VmDir;
  /** Where the entry itself lives (the symlink for a tag). */
  path: string;
}

/** Every tag symlink and digest directory under cache/OCIs. */
export function listOci(ctx: Ctx): OciEntry[] {
  const entries: OciEntry[] = [];
  const walk = (dir: string, parts: string[]): void => {
    let items;
    try {
      items = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of items) {
      const p = path.join(dir, item.name);
      if (item.name.startsWith('.')) continue;
      const repo = parts.length > 0 ? `${decodeURIComponent(parts[0] as string)}/${parts.slice(1).join('/')}` : '';
      if (item.isSymbolicLink()) {
        const target = new VmDir(path.resolve(dir, readlinkSync(p)));
        if (target.initialized()) entries.push({ name: `${repo}:${item.name}`, vm: target, path: p });
      } else if (item.isDirectory() && item.name.startsWith('sha256:')) {
        const vm = new VmDir(p);
        if (vm.initialized()) entries.push({ name: `${repo}@${item.name}`, vm, path: p });
      } else if (item.isDirectory()) {
        walk(p, [...parts, item.name]);
      }
    }
  };
  walk(ctx.home.ocis, []);
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** VMStorageOCI.gc: drops broken tag links and digest dirs no tag references (unless pulled by digest). */
export function gcOci(ctx: Ctx): void {
  const referenced = new Set<string>();
  const digestDirs: string[] = [];
  const walk = (dir: string): void => {
    for (const item of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, item.name);
      if (item.isSymbolicLink()) {
        const target = path.resolve(dir, readlinkSync(p));
        if (existsSync(target)) referenced.add(target);
        else rmSync(p, { force: true });
      } else if (item.isDirectory() && item.name.startsWith('sha256:')) {
        digestDirs.push(p);
      } else if (item.isDirectory()) {
        walk(p);
      }
    }
  };
  walk(ctx.home.ocis);
  for (const d of digestDirs) {
    if (!referenced.has(d) && !existsSync(path.join(d, '.explicitly-pulled'))) rmSync(d, { recursive: true, force: true });
  }
}
