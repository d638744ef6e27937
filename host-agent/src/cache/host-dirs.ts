/**
 * Host folders shared into a pool's VMs (`tart run --dir`), for caches that are not HTTP
 * (DerivedData, SwiftPM, Gradle). A pool's config holds `dirs: hostDirsSchema`; the lifecycle adds
 * `tartDirArgs(pool.dirs)` to `tart run`. macOS guests mount each at /Volumes/My Shared Files/<name>.
 */
import { z } from 'zod';

export const hostDirSchema = z.strictObject({
  /** The folder's name in the guest. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'shared folder names are letters, digits, ".", "_" or "-", at most 63'),
  /** Absolute host path. tart splits `--dir` on ":", so a path cannot contain one. */
  path: z.string().regex(/^\/[^:\n\r\0]*$/, 'shared folder paths must be absolute and contain no ":"'),
  /** Read-only unless the pool says otherwise: a writable shared cache lets one job poison the next
   * (and a fork's pull request poison everyone's). */
  readOnly: z.boolean().default(true),
});
export type HostDir = z.infer<typeof hostDirSchema>;

export const hostDirsSchema = z
  .array(hostDirSchema)
  .default([])
  .superRefine((dirs, ctx) => {
    const seen = new Set<string>();
    dirs.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `shared folder name '${d.name}' is used twice; each needs its own mount point` });
      seen.add(d.name);
    });
  });

/** `tart run` arguments for the folders: `--dir <name>:<path>[:ro]` each. */
export function tartDirArgs(dirs: readonly HostDir[]): string[] {
  return dirs.flatMap((d) => ['--dir', `${d.name}:${d.path}${d.readOnly ? ':ro' : ''}`]);
}
