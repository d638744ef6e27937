import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capLogFile, logFilesFromEnv, startLogFileCap } from '../../../host-agent/src/log/log-file-cap';
import { createFakeClock } from '../../fakes/fake-clock';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("the agent's launchd log cap", () => {
  it('past the cap, keeps one previous generation and lets an append-only writer (as launchd opens it) go on at the start', () => {
    const d = (dir = mkdtempSync(path.join(tmpdir(), 'tf-logcap-')));
    const file = path.join(d, 'agent.log');
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, 'x'.repeat(2_000));
      expect(capLogFile(file, 4_000)).toBe(false);
      writeSync(fd, 'y'.repeat(3_000));
      expect(capLogFile(file, 4_000)).toBe(true);
      writeSync(fd, 'after the cap\n');
      expect(readFileSync(file, 'utf8')).toBe('after the cap\n');
      expect(readFileSync(`${file}.1`, 'utf8')).toBe(`${'x'.repeat(2_000)}${'y'.repeat(3_000)}`);
    } finally {
      closeSync(fd);
    }
    expect(capLogFile(path.join(d, 'missing.log'), 1)).toBe(false);
  });

  it('checks on the clock and stops when asked; reads the file list the plist sets', async () => {
    const d = (dir = mkdtempSync(path.join(tmpdir(), 'tf-logcap-')));
    const file = path.join(d, 'agent.err.log');
    const fd = openSync(file, 'a');
    const clock = createFakeClock();
    const errors: string[] = [];
    const cap = startLogFileCap({ files: logFilesFromEnv(`${file}:relative/ignored`), clock, maxBytes: 100, intervalMs: 60_000, onError: (m) => errors.push(m) });
    try {
      writeSync(fd, 'z'.repeat(500));
      expect(existsSync(`${file}.1`)).toBe(false);
      clock.advance(60_000);
      expect(readFileSync(`${file}.1`, 'utf8')).toHaveLength(500);
      expect(readFileSync(file, 'utf8')).toBe('');
      cap.stop();
      writeSync(fd, 'z'.repeat(500));
      clock.advance(120_000);
      expect(readFileSync(file, 'utf8')).toHaveLength(500);
      expect(errors).toEqual([]);
    } finally {
      closeSync(fd);
    }
  });
});
