/**
 * A minimal XML property-list writer for the value types a launchd job needs (dict, array, string,
 * integer, boolean). Keys keep insertion order, so the output is stable and diffable.
 */
export type PlistValue = string | number | boolean | readonly PlistValue[] | { readonly [key: string]: PlistValue };

function escapeXml(text: string): string {
  // Control characters other than tab/newline/CR are not allowed in XML 1.0 at all.
  if ([...text].some((ch) => ch.charCodeAt(0) < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r')) throw new Error(`plist strings cannot contain control characters, got ${JSON.stringify(text)}`);
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function render(value: PlistValue, indent: string): string {
  if (typeof value === 'string') return `${indent}<string>${escapeXml(value)}</string>`;
  if (typeof value === 'boolean') return `${indent}<${value}/>`;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`plist integers only, got ${value}`);
    return `${indent}<integer>${value}</integer>`;
  }
  const inner = `${indent}\t`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}<array/>`;
    return [`${indent}<array>`, ...value.map((v) => render(v, inner)), `${indent}</array>`].join('\n');
  }
  const entries = Object.entries(value as Record<string, PlistValue>);
  if (entries.length === 0) return `${indent}<dict/>`;
  return [`${indent}<dict>`, ...entries.flatMap(([k, v]) => [`${inner}<key>${escapeXml(k)}</key>`, render(v, inner)]), `${indent}</dict>`].join('\n');
}

/** Serialise `value` as an Apple XML plist (what `plutil -convert xml1` produces). */
export function toPlistXml(value: PlistValue): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    render(value, ''),
    '</plist>',
    '',
  ].join('\n');
}
