/** Child processes for the demo and the end-to-end tests: output kept by line, stop with a deadline. */
import { spawn, type ChildProcess } from 'node:child_process';

/** A child process whose output lines are kept, with a helper to wait for one. */
export interface Proc {
  child: ChildProcess;
  lines: string[];
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<number | null>;
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

/** Start `cmd` with its output kept line by line (and passed to `onLine`). */
export function startProc(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void } = {}): Proc {
  const child = spawn(cmd, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        options.onLine?.(line);
        for (const w of [...waiters]) {
          const m = w.re.exec(line);
          if (m) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    });
  }
  return {
    child,
    lines,
    exited,
    waitForLine(re, timeoutMs) {
      for (const line of lines) {
        const m = re.exec(line);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${cmd} did not print a line matching ${re} within ${timeoutMs} ms; last lines:\n${lines.slice(-15).join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${cmd} exited (${code}) before printing a line matching ${re}; last lines:\n${lines.slice(-15).join('\n')}`));
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export { waitFor } from './wait-for';
