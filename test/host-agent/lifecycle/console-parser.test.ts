import { describe, expect, it } from 'vitest';
import { createConsoleTracker, parseConsoleLine } from '../../../host-agent/src/lifecycle/console-parser';

const TS = '2026-11-28 01:02:03Z: ';

describe('runner console parser', () => {
  it('reads the three runner lines, with and without the timestamp prefix', () => {
    expect(parseConsoleLine(`${TS}Listening for Jobs`)).toEqual({ type: 'online' });
    expect(parseConsoleLine(`${TS}Running job: build (macOS)`)).toEqual({ type: 'job-started', job: 'build (macOS)' });
    expect(parseConsoleLine(`${TS}Job build (macOS) completed with result: Succeeded`)).toEqual({ type: 'job-completed', job: 'build (macOS)', result: 'Succeeded' });
    expect(parseConsoleLine('Job x completed with result: Canceled')).toEqual({ type: 'job-completed', job: 'x', result: 'Canceled' });
    expect(parseConsoleLine('Job x completed with result: SucceededWithIssues')).toMatchObject({ result: 'Succeeded' });
    expect(parseConsoleLine('Job x completed with result: Abandoned')).toMatchObject({ result: 'Failed' });
  });

  it('ignores runner words that do not start the line or do not end it with a result', () => {
    expect(parseConsoleLine('echo Listening for Jobs')).toBeUndefined();
    expect(parseConsoleLine('step output: Job x completed with result: Succeeded')).toBeUndefined();
    expect(parseConsoleLine('Job x completed with result: Succeeded; and more')).toBeUndefined();
    expect(parseConsoleLine('Job completed with result: Succeeded')).toBeUndefined();
  });

  it('parses 100,000 repetitions of "Job " in linear time', () => {
    const hostile = `${'Job '.repeat(100_000)}completed with result:`;
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      parseConsoleLine(hostile);
      parseConsoleLine(`${TS}${hostile} x`);
      parseConsoleLine(`${'Job '.repeat(100_000)}`);
    }
    // The old pattern /Job (.+) completed with result: (\w+)/ took ~2 s on 78 KiB of this.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('console tracker: forged runner lines', () => {
  const read = (lines: string[]) => {
    const tracker = createConsoleTracker();
    const events = lines.map((line) => tracker.read(line));
    return { events, tracker };
  };

  it('a genuine console: start then completion of the same job keeps its result', () => {
    const { events, tracker } = read([`${TS}Listening for Jobs`, `${TS}Running job: build`, `${TS}Job build completed with result: Succeeded`]);
    expect(events.at(-1)).toEqual({ type: 'job-completed', job: 'build', result: 'Succeeded' });
    expect(tracker.forged).toBe(false);
  });

  it.each([
    ['a completion before any job started', ['Listening for Jobs', 'Job build completed with result: Succeeded']],
    ['a completion of another job', ['Running job: build', 'Job deploy completed with result: Succeeded']],
    ['a forged success before the real failure', ['Running job: build', 'Job build completed with result: Succeeded', 'Job build completed with result: Failed']],
    ['a forged failure then a success', ['Running job: build', 'Job build completed with result: Failed', 'Job build completed with result: Succeeded']],
    ['a second job start', ['Running job: build', 'Running job: build', 'Job build completed with result: Succeeded']],
  ])('%s reads as Failed', (_what, lines) => {
    const { events, tracker } = read(lines);
    expect(tracker.forged).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'job-completed', result: 'Failed' });
  });
});
