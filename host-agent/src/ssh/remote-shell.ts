/**
 * SSH into a guest: the seam the lifecycle uses to hand the JIT config over (on stdin) and read the
 * runner's console. One real implementation on ssh2 (below); fakes in test/fakes/.
 */
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Clock } from '../../../core/clock';
import { systemClock } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import { retry } from '../../../core/retry';
import { normalizeFingerprint, sshFingerprint, type HostKeyPolicy } from './host-key';
import { createLineSplitter } from './line-splitter';
import { SshError } from './ssh-error';

/** Where and how to connect. */
export interface SshConnectOptions {
  host: string;
  port: number;
  username: string;
  password?: string;
  /** PEM/OpenSSH private key text. */
  privateKey?: string | Buffer;
  hostKey: HostKeyPolicy;
  /** Keep dialing (with backoff) until this much time has passed. */
  deadlineMs: number;
  signal?: AbortSignal;
}

/** A command to run in the guest. */
export interface RemoteExecOptions {
  /** Written to the command's stdin, which is then closed. The one channel secrets travel on. */
  stdin?: string;
  /**
   * Each output line, without its newline, at most MAX_GUEST_LINE_BYTES long: `truncated` says the
   * guest sent a longer one and the rest was dropped (guest output is hostile, docs/security.md).
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr', truncated: boolean) => void;
  /** Closes the channel. */
  signal?: AbortSignal;
}

/** How a remote command ended. */
export interface RemoteExecResult {
  /** Null when the channel closed without an exit status (e.g. the guest powered off). */
  exitCode: number | null;
  signal: string | null;
}

/** An established SSH connection. */
export interface RemoteSession {
  /** The server's host key fingerprint (`SHA256:…`). */
  readonly hostKeyFingerprint: string;
  /** Runs `command` through the guest user's shell. */
  exec(command: string, options?: RemoteExecOptions): Promise<RemoteExecResult>;
  /** Closes the connection; idempotent. */
  close(): void;
}

/** Opens SSH sessions to guests. */
export interface RemoteShell {
  connect(options: SshConnectOptions): Promise<RemoteSession>;
}

/** Dependencies of the ssh2 implementation. */
export interface Ssh2RemoteShellDeps {
  logger: Logger;
  clock?: Clock;
  /** Cap for a single dial (the deadline caps it too). */
  attemptTimeoutMs?: number;
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

/** Builds the ssh2-backed RemoteShell. */
export function createSsh2RemoteShell(deps: Ssh2RemoteShellDeps): RemoteShell {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ module: 'ssh' });
  const attemptTimeoutMs = deps.attemptTimeoutMs ?? 10_000;

  function dialOnce(options: SshConnectOptions, timeoutMs: number): Promise<RemoteSession> {
    const target = `${options.username}@${options.host}:${options.port}`;
    return new Promise<RemoteSession>((resolve, reject) => {
      const client = new Client();
      let seenFingerprint = '';
      let hostKeyRejected = false;
      let settled = false;
      const settle = (error?: SshError): void => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        if (error) {
          client.end();
          reject(error);
        } else resolve(makeSession(client, target, seenFingerprint));
      };
      const onAbort = (): void => settle(new SshError('canceled', target, 'connect canceled'));
      options.signal?.addEventListener('abort', onAbort, { once: true });

      client.once('ready', () => settle());
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        if (hostKeyRejected) settle(new SshError('host-key', target, `host key ${seenFingerprint} does not match the pinned fingerprint`, { cause: error }));
        else if (error.level === 'client-authentication') settle(new SshError('auth', target, `authentication as '${options.username}' was refused`, { cause: error }));
        else if (error.level === 'client-timeout' || /timed out/i.test(error.message)) settle(new SshError('timeout', target, `no SSH handshake within ${timeoutMs} ms`, { cause: error }));
        else if (error.code && RETRYABLE_CODES.has(error.code)) settle(new SshError('unreachable', target, `${error.code}`, { cause: error }));
        else settle(new SshError('other', target, errorMessage(error), { cause: error }));
      });
      client.once('close', () => settle(new SshError('closed', target, 'connection closed during the handshake')));

      const config: ConnectConfig = {
        host: options.host,
        port: options.port,
        username: options.username,
        readyTimeout: Math.max(1_000, timeoutMs),
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          seenFingerprint = sshFingerprint(key);
          if (options.hostKey.mode === 'pinned') {
            hostKeyRejected = !options.hostKey.fingerprints.some((pinned) => normalizeFingerprint(pinned) === seenFingerprint);
            return !hostKeyRejected;
          }
          return true;
        },
      };
      if (options.password !== undefined) config.password = options.password;
      if (options.privateKey !== undefined) config.privateKey = options.privateKey;
      if (options.password === undefined && options.privateKey === undefined) {
        settle(new SshError('auth', target, 'no password or private key configured'));
        return;
      }
      client.connect(config);
    });
  }

  function makeSession(client: Client, target: string, fingerprint: string): RemoteSession {
    let closed = false;
    client.on('close', () => {
      closed = true;
    });
    // Errors after the handshake surface through the channels; keep them from crashing the process.
    client.on('error', (error: Error) => log.debug({ target, error: error.message }, 'ssh connection error'));
    return {
      hostKeyFingerprint: fingerprint,
      exec(command, execOptions = {}) {
        return new Promise<RemoteExecResult>((resolve, reject) => {
          if (closed) {
            reject(new SshError('closed', target, 'connection already closed'));
            return;
          }
          client.exec(command, (error: Error | undefined, channel: ClientChannel) => {
            if (error) {
              reject(new SshError('other', target, `exec failed: ${error.message}`, { cause: error }));
              return;
            }
            let exitCode: number | null = null;
            let exitSignal: string | null = null;
            const out = createLineSplitter((line, truncated) => execOptions.onLine?.(line, 'stdout', truncated));
            const err = createLineSplitter((line, truncated) => execOptions.onLine?.(line, 'stderr', truncated));
            const onAbort = (): void => {
              channel.close();
            };
            execOptions.signal?.addEventListener('abort', onAbort, { once: true });
            channel.on('data', (chunk: Buffer) => out.push(chunk));
            channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
            channel.on('exit', (code: number | null, sig?: string) => {
              exitCode = typeof code === 'number' ? code : null;
              exitSignal = sig ?? null;
            });
            const finish = (): void => {
              execOptions.signal?.removeEventListener('abort', onAbort);
              out.flush();
              err.flush();
              resolve({ exitCode, signal: exitSignal });
            };
            channel.once('close', finish);
            // A dropped connection (guest powered off) may never close the channel cleanly.
            client.once('close', finish);
            if (execOptions.stdin !== undefined) channel.end(execOptions.stdin);
            else channel.end();
          });
        });
      },
      close() {
        if (!closed) client.end();
        closed = true;
      },
    };
  }

  return {
    async connect(options) {
      const target = `${options.username}@${options.host}:${options.port}`;
      const session = await retry(
        {
          what: `SSH connect to ${target}`,
          clock,
          maxAttempts: 1_000,
          deadlineMs: options.deadlineMs,
          // A refused dial costs one SYN; short waits catch the guest's sshd within ~0.1 s of it starting.
          baseDelayMs: 25,
          maxDelayMs: 100,
          signal: options.signal,
          retryable: (error) => error instanceof SshError && error.retryable,
          onRetry: (error, attempt, delayMs) => log.debug({ target, attempt, delayMs, error: errorMessage(error) }, 'ssh dial failed; retrying'),
        },
        (remainingMs) => dialOnce(options, Math.min(attemptTimeoutMs, remainingMs)),
      );
      if (options.hostKey.mode === 'accept-new') {
        log.warn({ target, fingerprint: session.hostKeyFingerprint }, 'accepted an unpinned SSH host key (hostKeyPolicy accept-new); pin the image fingerprint to refuse impostors');
      }
      return session;
    },
  };
}
