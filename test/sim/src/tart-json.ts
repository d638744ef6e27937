/**
 * Serializes like Foundation's JSONEncoder with `.prettyPrinted` and without `.sortedKeys`
 * (docs/reference/tart-cli.md §3 list/get): two-space indent, `"key" : value`, `/` escaped as `\/`, and an object key
 * order that is not stable. We shuffle keys on purpose so consumers that compare strings or rely on
 * order fail against the simulator as they would against tart.
 */
export function tartJson(value: unknown, options: { shuffle?: boolean } = {}): string {
  return encode(value, '', options.shuffle ?? true);
}

function encode(value: unknown, indent: string, shuffle: boolean): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/\//g, '\\/');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[\n\n' + indent + ']';
    return `[\n${value.map((v) => inner + encode(v, inner, shuffle)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (shuffle) shuffleInPlace(entries);
  if (entries.length === 0) return '{\n\n' + indent + '}';
  return `{\n${entries.map(([k, v]) => `${inner}${encode(k, inner, shuffle)} : ${encode(v, inner, shuffle)}`).join(',\n')}\n${indent}}`;
}

function shuffleInPlace<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
