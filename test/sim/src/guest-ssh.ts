import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { AuthContext, Connection, Server, ServerChannel, Session } from 'ssh2';
import { guestEnv, runnerControls } from './guest-env';
import { guestPaths } from './guest-image';
import { lazy } from './lazy-node';
import { loadSsh2 } from './load-ssh2';

/** What the guest's SSH server needs from the VM around it. */
export interface GuestSshOptions {
  /** The guest filesystem root. */
  guestRoot: string;
  /** The image's host key (OpenSSH private key). */
  hostKey: Buffer;
  /** The guest's own address (for SSH_CONNECTION). */
  address: string;
  /** Guest SSH port (for SSH_CONNECTION). */
  port: number;
  /** Value of TART_SIM_GUEST_ID in every guest process: finds processes that left their group. */
  guestId: string;
  /** Called with the process group of every guest command started. */
  onProcessGroup: (pgid: number) => void;
  /** Called once that command's shell has exited (its group id may be reused from then on). */
  onProcessGroupEnd: (pgid: number) => void;
}

/** PIDs of processes whose environment carries `TART_SIM_GUEST_ID=<guestId>` (Linux /proc only). */
export function markedProcesses(guestId: string): number[] {
  const needle = Buffer.from(`TART_SIM_GUEST_ID=${guestId}\0`);
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return pids;
}

/** Accepts only keys listed in the guest's `~/.ssh/authorized_keys` (options before the key are ignored). */
function authorizedKey(guestRoot: string, ctx: AuthContext & { method: 'publickey' }): boolean {
  let text: string;
  try {
    text = readFileSync(path.join(guestRoot, guestPaths.home, '.ssh', 'authorized_keys'), 'utf8');
  } catch {
    return false;
  }
  for (const line of text.split('\n')) {
    const match = /(?:^|\s)((?:ssh-|ecdsa-|sk-)\S+\s+[A-Za-z0-9+/=]+)/.exec(line.trim());
    if (match === null || line.trim().startsWith('#')) continue;
    const key = loadSsh2().utils.parseKey(match[1] as string);
    if (key instanceof Error || Array.isArray(key)) continue;
    if (key.type !== ctx.key.algo || !key.getPublicSSH().equals(ctx.key.data)) continue;
    if (ctx.signature === undefined || ctx.blob === undefined) return true;
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
  }
  return false;
}

/**
 * The simulated guest's sshd: password `admin`/`admin` or authorized keys; `exec` and `shell` run
 * `/bin/bash` in the guest's home with the guest environment, each in its own process group, with
 * stdin, stdout, stderr and the exit status passed through. No SFTP and no real PTY (a pty request
 * is accepted and ignored).
 */
export class GuestSsh {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly groups = new Set<number>();
  private readonly options: GuestSshOptions;

  constructor(options: GuestSshOptions) {
    this.options = options;
    this.server = new (loadSsh2().Server)({ hostKeys: [options.hostKey], ident: 'OpenSSH_9.8' }, (client) => this.onClient(client));
  }

  /** Hands an accepted TCP connection to the SSH protocol. */
  handleSocket(socket: Socket): void {
    this.server.injectSocket(socket);
  }

  /**
   * Signals every guest process (the VM is stopping or crashing): the groups of sessions whose shell
   * has not been reaped yet (so their group id cannot have been reused), and every process carrying
   * the guest's marker — which also finds processes that left their group (setsid) or outlived their
   * session's shell. Group ids of finished sessions are never signalled: with pid_max at 32768 they
   * are soon reused by unrelated processes.
   */
  killProcesses(signal: NodeJS.Signals): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, signal);
      } catch {
        // Already gone.
      }
    }
    for (const pid of markedProcesses(this.options.guestId)) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }

  /** Drops every SSH connection, as a powered-off machine would. */
  disconnectAll(): void {
    for (const c of this.connections) {
      try {
        c.end();
      } catch {
        // Already closed.
      }
      const sock = (c as unknown as { _sock?: Socket })._sock;
      sock?.destroy();
    }
    this.connections.clear();
  }

  private onClient(client: Connection): void {
    this.connections.add(client);
    client.on('close', () => this.connections.delete(client));
    client.on('error', () => this.connections.delete(client));
    let remote = '';
    client.on('handshake', () => {
      const sock = (client as unknown as { _sock?: Socket })._sock;
      remote = `${sock?.remoteAddress ?? '127.0.0.1'} ${sock?.remotePort ?? 0}`;
    });
    client.on('authentication', (ctx) => {
      if (ctx.username !== 'admin') return ctx.reject(['password', 'publickey']);
      if (ctx.method === 'password') return ctx.password === 'admin' ? ctx.accept() : ctx.reject(['password', 'publickey']);
      if (ctx.method === 'publickey') return authorizedKey(this.options.guestRoot, ctx) ? ctx.accept() : ctx.reject(['password', 'publickey']);
      return ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => this.onSession(acceptSession(), remote));
    });
  }

  private onSession(session: Session, remote: string): void {
    const env: Record<string, string> = {};
    session.on('env', (accept, _reject, info) => {
      // Like macOS sshd's AcceptEnv LANG LC_*: other variables are refused.
      if (/^(LANG|LC_[A-Z_]+)$/.test(info.key)) {
        env[info.key] = info.val;
        accept?.();
      } else {
        _reject?.();
      }
    });
    session.on('pty', (accept) => accept?.());
    session.on('window-change', (accept) => accept?.());
    session.on('subsystem', (_accept, reject) => reject?.());
    let pgid: number | undefined;
    session.on('signal', (_accept, _reject, info) => {
      try {
        // Only while its shell runs: a finished session's group id may belong to someone else now.
        if (pgid !== undefined && this.groups.has(pgid)) process.kill(-pgid, `SIG${info.name}` as NodeJS.Signals);
      } catch {
        // Group already gone.
      }
    });
    session.on('exec', (accept, _reject, info) => {
      pgid = this.start(accept(), ['-c', info.command], env, remote);
    });
    session.on('shell', (accept) => {
      pgid = this.start(accept(), [], env, remote);
    });
  }

  private start(channel: ServerChannel, bashArgs: string[], extraEnv: Record<string, string>, remote: string): number | undefined {
    const root = this.options.guestRoot;
    const env = guestEnv(root, {
      ...extraEnv,
      ...runnerControls(process.env),
      SSH_CONNECTION: `${remote} ${this.options.address} ${this.options.port}`,
      SSH_CLIENT: `${remote} ${this.options.port}`,
      TART_SIM_GUEST_ID: this.options.guestId,
    });
    const child = lazy.childProcess().spawn('/bin/bash', bashArgs, { cwd: env.HOME, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) {
      this.groups.add(child.pid);
      this.options.onProcessGroup(child.pid);
    }
    child.stdin.on('error', () => undefined);
    channel.on('error', () => undefined);
    channel.pipe(child.stdin);
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    child.on('error', (error) => {
      channel.stderr.write(`bash: ${error.message}\n`);
      channel.exit(127);
      channel.end();
    });
    child.on('exit', () => {
      if (child.pid === undefined) return;
      this.groups.delete(child.pid);
      this.options.onProcessGroupEnd(child.pid);
    });
    child.on('close', (code, signal) => {
      try {
        if (signal !== null) channel.exit(signal.replace(/^SIG/, ''), false, '');
        else channel.exit(code ?? 0);
        channel.end();
      } catch {
        // The client went away first.
      }
    });
    return child.pid;
  }
}
