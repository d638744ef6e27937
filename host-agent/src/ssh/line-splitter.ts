/**
 * Splits a guest's output into lines. Guest bytes are hostile (docs/security.md): a job controls
 * what its VM prints, so a line is capped at `maxBytes` (the rest of it is dropped and the line is
 * flagged as truncated) and every byte is looked at once, so no volume or shape of output costs the
 * agent more than linear time or more than `maxBytes` of memory per stream.
 */

/** The longest line the agent keeps from a guest; actions/runner's console lines are far shorter. */
export const MAX_GUEST_LINE_BYTES = 16 * 1024;

/** Receives each line (without its newline or a trailing CR); `truncated` when bytes were dropped. */
export type LineSink = (line: string, truncated: boolean) => void;

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** Emits the unfinished last line, if any. */
  flush(): void;
}

const NEWLINE = 0x0a;

/** Builds a splitter that holds at most `maxBytes` of an unfinished line. */
export function createLineSplitter(emit: LineSink, maxBytes: number = MAX_GUEST_LINE_BYTES): LineSplitter {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`line cap: expected a positive integer of bytes, got ${maxBytes}`);
  let parts: Buffer[] = [];
  let size = 0;
  let truncated = false;

  const keep = (part: Buffer): void => {
    if (part.length === 0) return;
    const room = maxBytes - size;
    if (part.length > room) truncated = true;
    if (room <= 0) return;
    // A copy, so a kept fragment never pins the whole chunk it came in.
    const kept = Buffer.from(part.subarray(0, Math.min(room, part.length)));
    parts.push(kept);
    size += kept.length;
  };
  const emitLine = (): void => {
    let line = Buffer.concat(parts, size).toString('utf8');
    if (!truncated && line.endsWith('\r')) line = line.slice(0, -1);
    const wasTruncated = truncated;
    parts = [];
    size = 0;
    truncated = false;
    emit(line, wasTruncated);
  };

  return {
    push(chunk) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(NEWLINE, start);
        if (nl < 0) {
          keep(chunk.subarray(start));
          return;
        }
        keep(chunk.subarray(start, nl));
        emitLine();
        start = nl + 1;
      }
    },
    flush() {
      if (size > 0 || truncated) emitLine();
    },
  };
}
