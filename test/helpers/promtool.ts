/** The real `promtool` (Debian `prometheus` package) for metric and rule checks. */
import { execFile } from 'node:child_process';

export interface PromtoolResult {
  code: number;
  output: string;
}

/** Runs `promtool <args>` with `stdin`; resolves with its exit code and combined output. */
export function promtool(args: readonly string[], stdin = ''): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: stdout + stderr });
    });
    child.stdin?.end(stdin);
  });
}

/** `promtool check metrics` on an exposition text. */
export const promtoolCheckMetrics = (text: string): Promise<PromtoolResult> => promtool(['check', 'metrics'], text);

/** The value of one exposition line (`series` is the name with its labels as printed), if present. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every series in `want` with its value in `text` (undefined when absent), for one `toEqual`. */
export function samples(text: string, want: Record<string, number | undefined>): Record<string, number | undefined> {
  return Object.fromEntries(Object.keys(want).map((series) => [series, sample(text, series)]));
}
