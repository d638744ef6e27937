import { readFileSync } from 'node:fs';

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file: `name<<DELIMITER\nvalue\nDELIMITER` blocks, as
 * @actions/core writes them. */
export function parseCommandFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i] ?? '');
    out[m[1] as string] = value.join('\n');
  }
  return out;
}
