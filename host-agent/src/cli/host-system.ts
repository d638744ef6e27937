/**
 * What `doctor` and `init` ask of the Mac itself: run a system command (`sw_vers`, `pmset`,
 * `defaults`, `tart`…), find one on PATH, stat a file, open a TCP connection, HEAD a URL. One small
 * port, so both commands run on Linux in tests with the macOS commands shimmed on PATH.
 */
import { statSync, accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import type { Clock } from '../../../core/clock';
import { deadlineSignal, raceDeadline } from '../../../core/deadline';
import { errorMessage } from '../../../core/errors';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface HostSystem {
  /** Runs `cmd` found on PATH (output capped); undefined when it is not installed. Never throws on a non-zero exit. */
  run(cmd: string, args: readonly string[], options?: { input?: string }): Promise<CommandResult | undefined>;
  /** The absolute path of `cmd` on PATH, or undefined. */
  which(cmd: string): string | undefined;
  /** Owner and mode bits of a file, or undefined when it does not exist. */
  stat(file: string): { uid: number; mode: number } | undefined;
  /** Opens and closes a TCP connection: undefined on success, else the error code (EHOSTUNREACH, ECONNREFUSED, ETIMEDOUT…). */
  connect(host: string, port: number, timeoutMs: number): Promise<string | undefined>;
  /** HEAD `url`: status and Date header, with local send/receive times (ms). */
  head(url: string, timeoutMs: number): Promise<{ status: number; date: string | undefined; sentAt: number; receivedAt: number }>;
}

const MAX_OUTPUT = 256 * 1024;
const COMMAND_TIMEOUT_MS = 30_000;

export function createHostSystem(env: Readonly<Record<string, string | undefined>>, clock: Clock): HostSystem {
  const dirs = (env.PATH ?? '/usr/bin:/bin:/usr/sbin:/sbin').split(':').filter(Boolean);
  const which = (cmd: string): string | undefined => {
    if (cmd.includes('/')) return cmd;
    for (const dir of dirs) {
      const file = path.join(dir, cmd);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // next folder
      }
    }
    return undefined;
  };
  return {
    which,
    async run(cmd, args, options = {}) {
      const file = which(cmd);
      if (file === undefined) return undefined;
      const deadline = deadlineSignal(clock, `${cmd} ${args.join(' ')}`, COMMAND_TIMEOUT_MS);
      try {
        const r = await execa(file, [...args], { reject: false, cancelSignal: deadline.signal, maxBuffer: MAX_OUTPUT, env: { ...env }, extendEnv: false, ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }) });
        if (r.isCanceled) return { exitCode: 124, stdout: '', stderr: `${cmd} did not finish within ${COMMAND_TIMEOUT_MS / 1000} s` };
        return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
      } finally {
        deadline.cancel();
      }
    },
    stat(file) {
      try {
        const s = statSync(file);
        return { uid: s.uid, mode: s.mode };
      } catch {
        return undefined;
      }
    },
    async connect(host, port, timeoutMs) {
      const socket = net.connect({ host, port });
      const attempt = new Promise<string | undefined>((resolve) => {
        socket.once('connect', () => resolve(undefined));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? errorMessage(error)));
      });
      try {
        return await raceDeadline(clock, `connect ${host}:${port}`, timeoutMs, attempt).catch(() => 'ETIMEDOUT');
      } finally {
        socket.destroy();
      }
    },
    async head(url, timeoutMs) {
      const deadline = deadlineSignal(clock, `HEAD ${url}`, timeoutMs);
      const sentAt = clock.now();
      try {
        const res = await fetch(url, { method: 'HEAD', signal: deadline.signal });
        return { status: res.status, date: res.headers.get('date') ?? undefined, sentAt, receivedAt: clock.now() };
      } finally {
        deadline.cancel();
      }
    },
  };
}
