import { describe, expect, it } from 'vitest';
import { createLineSplitter, MAX_GUEST_LINE_BYTES } from '../../../host-agent/src/ssh/line-splitter';

function collect(maxBytes?: number) {
  const lines: { line: string; truncated: boolean }[] = [];
  const splitter = createLineSplitter((line, truncated) => lines.push({ line, truncated }), maxBytes);
  return { lines, splitter };
}

describe('guest line splitter', () => {
  it('splits across chunk boundaries, drops CR before LF, flushes the last partial line', () => {
    const { lines, splitter } = collect();
    for (const chunk of ['one\r', '\ntw', 'o\nthr', 'ee']) splitter.push(Buffer.from(chunk));
    splitter.flush();
    expect(lines).toEqual([
      { line: 'one', truncated: false },
      { line: 'two', truncated: false },
      { line: 'three', truncated: false },
    ]);
  });

  it('keeps a multi-byte character split across chunks', () => {
    const { lines, splitter } = collect();
    const bytes = Buffer.from('é ✓\n');
    splitter.push(bytes.subarray(0, 1));
    splitter.push(bytes.subarray(1));
    expect(lines).toEqual([{ line: 'é ✓', truncated: false }]);
  });

  it('caps a line at 16 KiB by default, flags it, and reads the next line whole', () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.alloc(MAX_GUEST_LINE_BYTES + 10, 'a'));
    splitter.push(Buffer.from('aaa\nnext\n'));
    expect(lines.map((l) => [l.line.length, l.truncated])).toEqual([
      [16 * 1024, true],
      [4, false],
    ]);
    expect(lines[1]?.line).toBe('next');
  });

  it('a line of exactly the cap is not truncated', () => {
    const { lines, splitter } = collect(8);
    splitter.push(Buffer.from('12345678\n123456789\n'));
    expect(lines).toEqual([
      { line: '12345678', truncated: false },
      { line: '12345678', truncated: true },
    ]);
  });

  it('reads 64 MiB without a newline in linear time and bounded memory', () => {
    const { lines, splitter } = collect();
    const chunk = Buffer.alloc(32 * 1024, 'x');
    const started = performance.now();
    // 2,048 chunks of 32 KiB, as ssh2 delivers them: the old splitter re-scanned the whole pending
    // string on every chunk (quadratic: seconds for 8 MiB).
    for (let i = 0; i < 2048; i++) splitter.push(chunk);
    splitter.push(Buffer.from('\n'));
    const ms = performance.now() - started;
    expect(lines).toHaveLength(1);
    expect(lines[0]?.line.length).toBe(MAX_GUEST_LINE_BYTES);
    expect(lines[0]?.truncated).toBe(true);
    expect(ms).toBeLessThan(1_000);
  });

  it('rejects a cap that is not a positive integer, naming it', () => {
    expect(() => createLineSplitter(() => undefined, 0)).toThrow(/line cap: expected a positive integer of bytes, got 0/);
  });
});
