/**
 * Renders rows like cfilipov/TextTable `Style.plain` as tart uses it: every cell left-aligned and
 * padded to the column's widest value, cells joined by one space, no separator line, and the whole
 * string trimmed (so only the last line loses its trailing padding). No rows prints nothing at all.
 */
export function textTable(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' ');
  return [line(header), ...rows.map(line)].join('\n').trim();
}
