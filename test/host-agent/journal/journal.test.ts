import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerRecord } from '../../../core/agent-api/contract';
import { createFileJournal } from '../../../host-agent/src/journal/journal';
import { createMemoryLogger } from '../../fakes/memory-logger';

const record = (name: string, stage: RunnerRecord['stage']): RunnerRecord => ({
  name,
  pool: 'mac',
  labels: ['macos'],
  stage,
  timestamps: { requested: '2026-01-01T00:00:00.000Z', [stage]: '2026-01-01T00:00:01.000Z' },
  registrationLeftBehind: false,
  adopted: false,
});

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('file journal', () => {
  it('writes atomically, keeps the last of several writes in order, loads and removes', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-journal-'));
    const journal = createFileJournal({ stateDir: dir, logger: createMemoryLogger() });
    const stages: RunnerRecord['stage'][] = ['requested', 'cloning', 'booting', 'ssh-ready', 'registering', 'online', 'running'];
    await Promise.all(stages.map((s, i) => journal.save({ record: record('tf-mac-a1', s), runPid: 100 + i })));
    void journal.save({ record: record('tf-mac-b2', 'booting'), ip: '127.20.0.1' });
    await journal.flush();
    expect(readdirSync(path.join(dir, 'runners')).sort()).toEqual(['tf-mac-a1.json', 'tf-mac-b2.json']);
    const loaded = createFileJournal({ stateDir: dir, logger: createMemoryLogger() }).load();
    expect(loaded.find((e) => e.record.name === 'tf-mac-a1')).toMatchObject({ record: { stage: 'running' }, runPid: 106 });
    expect(loaded.find((e) => e.record.name === 'tf-mac-b2')).toMatchObject({ ip: '127.20.0.1' });
    await journal.remove('tf-mac-a1');
    await journal.remove('tf-mac-a1');
    expect(readdirSync(path.join(dir, 'runners'))).toEqual(['tf-mac-b2.json']);
  });

  it('drops interrupted temp files, sets aside unreadable entries and refuses unmanaged names', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-journal-'));
    const logger = createMemoryLogger();
    const journal = createFileJournal({ stateDir: dir, logger });
    await journal.save({ record: record('tf-mac-ok1', 'online') });
    const runners = path.join(dir, 'runners');
    writeFileSync(path.join(runners, 'tf-mac-ok1.json.tmp-999'), '{"half": ');
    writeFileSync(path.join(runners, 'tf-mac-bad1.json'), '{not json');
    writeFileSync(path.join(runners, 'tf-mac-bad2.json'), JSON.stringify({ record: { ...record('tf-mac-zzz', 'online') } }));
    const loaded = journal.load();
    expect(loaded.map((e) => e.record.name)).toEqual(['tf-mac-ok1']);
    expect(existsSync(path.join(runners, 'tf-mac-ok1.json.tmp-999'))).toBe(false);
    expect(existsSync(path.join(runners, 'tf-mac-bad1.json.corrupt'))).toBe(true);
    expect(existsSync(path.join(runners, 'tf-mac-bad2.json.corrupt'))).toBe(true);
    expect(logger.text()).toMatch(/unreadable journal entry/);
    expect(() => journal.save({ record: { ...record('tf-mac-x1', 'online'), name: '../../etc/passwd' } })).toThrow(/managed runners/);
    expect(JSON.parse(readFileSync(path.join(runners, 'tf-mac-ok1.json'), 'utf8'))).toMatchObject({ record: { stage: 'online' } });
  });
});
