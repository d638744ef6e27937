/**
 * A real OpenSSH sshd (Debian openssh-server) on a private loopback address, with its own host key
 * and an authorized client key, for tests that need a genuine SSH server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './wait-for';

export interface RealSshd {
  host: string;
  port: number;
  /** `SHA256:…` of the server's host key, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** The client's private key (OpenSSH format). */
  clientKey: string;
  user: string;
  log(): string;
  stop(): Promise<void>;
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts sshd in `dir` (created) as the current user's SSH server. */
export async function startRealSshd(dir: string): Promise<RealSshd> {
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const clientKey = path.join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' }).split(/\s+/)[1] ?? '';
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  // A random 127.x address and port: parallel suites must not collide.
  const host = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${host}:${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  let log = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`sshd listening on ${host}:${port} (log: ${log})`, () => portOpen(host, port), 15_000, 100);
  return {
    host,
    port,
    fingerprint,
    clientKey: readFileSync(clientKey, 'utf8'),
    user,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      child.kill('SIGKILL');
    },
  };
}
