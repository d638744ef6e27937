/**
 * An image-aware fake tart for the image service's unit tests: the lifecycle's FakeTart plus an OCI
 * cache laid out on disk like tart's (tag symlinks to `sha256:` dirs), so digest resolution is real.
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { createFakeTart, type FakeTart } from './fake-tart';
import type { TartImageOps } from '../../host-agent/src/tart/tart-cli';
import type { TartImage } from '../../host-agent/src/tart/parse-image-list';
import { TartError } from '../../host-agent/src/tart/tart-error';

export interface FakeImageTart extends FakeTart, TartImageOps {
  /** Adds `repo:tag` → `repo@digest` to the cache (sizes in GB, accessed ISO time). */
  addOci(repo: string, tag: string | undefined, digest: string, options?: { sizeGb?: number; accessed?: string }): void;
  ociNames(): string[];
  /** Makes the next pull resolve or reject when the test says so. */
  holdPulls(): { release(error?: Error): void };
  readonly pulls: string[];
}

export function createFakeImageTart(tartHome: string): FakeImageTart {
  const base = createFakeTart();
  const oci = new Map<string, { digestName: string; sizeGb: number; accessed: string }>();
  const pulls: string[] = [];
  let hold: Promise<void> | undefined;
  const dirOf = (repo: string): string => {
    const [host = '', ...ns] = repo.split('/');
    return path.join(tartHome, 'cache', 'OCIs', host.replace(/:/g, '%3A'), ...ns);
  };
  const fake: FakeImageTart = Object.assign(base, {
    pulls,
    addOci(repo: string, tag: string | undefined, digest: string, options: { sizeGb?: number; accessed?: string } = {}) {
      const dir = dirOf(repo);
      mkdirSync(path.join(dir, digest), { recursive: true });
      const info = { digestName: `${repo}@${digest}`, sizeGb: options.sizeGb ?? 0, accessed: options.accessed ?? '2026-01-01T00:00:00Z' };
      oci.set(`${repo}@${digest}`, info);
      if (tag !== undefined) {
        rmSync(path.join(dir, tag), { force: true });
        symlinkSync(path.join(dir, digest), path.join(dir, tag));
        oci.set(`${repo}:${tag}`, info);
      }
    },
    ociNames: () => [...oci.keys()].sort(),
    holdPulls() {
      let release!: (error?: Error) => void;
      hold = new Promise<void>((resolve, reject) => (release = (error) => (error ? reject(error) : resolve())));
      return { release };
    },
    async pull(image: string) {
      pulls.push(image);
      const waiting = hold;
      hold = undefined;
      await waiting;
      const at = image.lastIndexOf(':');
      fake.addOci(image.slice(0, at), image.slice(at + 1), `sha256:${String(pulls.length).padStart(4, '0')}`);
    },
    async listImages(): Promise<TartImage[]> {
      const local = (await base.list()).map((vm) => ({ ...vm, sizeGb: 0, accessed: undefined }));
      const images = [...oci].map(([name, info]) => ({ name, source: 'oci' as const, state: 'stopped' as const, diskGb: 50, sizeGb: info.sizeGb, accessed: info.accessed }));
      return [...local, ...images];
    },
  });
  const deleteLocal = base.delete.bind(base);
  fake.delete = async (name, options) => {
    if (!name.includes('/')) return deleteLocal(name, options);
    base.calls.push(`delete ${name}`);
    if (!oci.has(name)) throw new TartError('vm-missing', `tart delete ${name}`, 2, `the specified VM "${name}" does not exist`);
    const info = oci.get(name);
    oci.delete(name);
    // tart's GC: a digest no tag references goes with its last tag.
    if (!name.includes('@') && info && ![...oci.entries()].some(([n, i]) => n !== info.digestName && i.digestName === info.digestName)) oci.delete(info.digestName);
  };
  const cloneLocal = base.clone.bind(base);
  fake.clone = async (source, name, options) => {
    if (!oci.has(source)) return cloneLocal(source, name, options);
    base.calls.push(`clone ${source} ${name}`);
    base.vms.set(name, { name, state: 'stopped', cpu: 4, memoryMb: 8192 });
  };
  return fake;
}
