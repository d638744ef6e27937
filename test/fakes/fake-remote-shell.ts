/**
 * A RemoteShell whose guest is a script: each `exec` is handed to `guest(command, stdin, io)`, which
 * writes console lines and returns an exit code, or never returns until the session is closed.
 */
import type { RemoteExecResult, RemoteSession, RemoteShell, SshConnectOptions } from '../../host-agent/src/ssh/remote-shell';
import { SshError } from '../../host-agent/src/ssh/ssh-error';

export interface FakeGuestIo {
  line(text: string): void;
  stderr(text: string): void;
  /** Resolves when the session is closed (guest powered off or agent hung up). */
  closed: Promise<void>;
}

export interface FakeRemoteShell extends RemoteShell {
  /** Every connect's options (passwords included: test data only). */
  readonly connects: SshConnectOptions[];
  /** Every command run, with its stdin and the guest address it ran on. */
  readonly execs: { command: string; stdin: string | undefined; host: string }[];
  /** Makes the next `n` connects fail with this kind. */
  refuse(kind: SshError['kind'], n?: number): void;
  /** Closes every open session (as a guest powering off does). */
  dropAll(): void;
}

export function createFakeRemoteShell(guest: (command: string, stdin: string | undefined, io: FakeGuestIo, host: string) => Promise<number | null>): FakeRemoteShell {
  const connects: SshConnectOptions[] = [];
  const execs: { command: string; stdin: string | undefined; host: string }[] = [];
  const closers = new Set<() => void>();
  let refusals: { kind: SshError['kind']; n: number } | undefined;
  const shell: FakeRemoteShell = {
    connects,
    execs,
    refuse(kind, n = 1) {
      refusals = { kind, n };
    },
    dropAll() {
      for (const close of [...closers]) close();
    },
    async connect(options) {
      connects.push(options);
      if (refusals && refusals.n > 0) {
        refusals.n -= 1;
        throw new SshError(refusals.kind, `${options.username}@${options.host}:${options.port}`, 'refused by the fake');
      }
      let close!: () => void;
      const closed = new Promise<void>((resolve) => (close = resolve));
      closers.add(close);
      void closed.then(() => closers.delete(close));
      const session: RemoteSession = {
        hostKeyFingerprint: 'SHA256:fake',
        close: () => close(),
        async exec(command, execOptions = {}): Promise<RemoteExecResult> {
          execs.push({ command, stdin: execOptions.stdin, host: options.host });
          const io: FakeGuestIo = {
            line: (text) => execOptions.onLine?.(text, 'stdout'),
            stderr: (text) => execOptions.onLine?.(text, 'stderr'),
            closed,
          };
          const code = await Promise.race([guest(command, execOptions.stdin, io, options.host), closed.then(() => null)]);
          return { exitCode: code, signal: null };
        },
      };
      return session;
    },
  } satisfies FakeRemoteShell;
  return shell;
}
