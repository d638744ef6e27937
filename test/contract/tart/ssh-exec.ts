import { Client, type ConnectConfig } from 'ssh2';

/** What a command run over SSH produced. */
export interface SshResult {
  stdout: string;
  stderr: string;
  /** Exit status, or undefined when the connection dropped first (e.g. the guest powered off). */
  code: number | undefined;
  /** Exit signal name, when the command was killed. */
  signal: string | undefined;
}

/**
 * Connects as admin (password `admin` unless a key is given), retrying until `timeoutMs` because the
 * guest's IP appears before its sshd answers — exactly what a controller has to do with real tart.
 */
export async function sshConnect(host: string, options: Partial<ConnectConfig> = {}, timeoutMs = 30_000): Promise<Client> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await new Promise<Client>((resolve, reject) => {
        const client = new Client();
        client.once('ready', () => resolve(client));
        // A persistent listener: ssh2 may emit a second error (e.g. connection lost) after the first.
        client.on('error', (error) => reject(error));
        client.connect({ host, port: Number(process.env.TART_SIM_SSH_PORT ?? 22), username: 'admin', password: 'admin', readyTimeout: 10_000, ...options });
      });
    } catch (error: unknown) {
      lastError = error;
      if ((error as { level?: string }).level === 'client-authentication') throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`ssh admin@${host}: not reachable within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Runs one command, feeding `stdin` (then EOF), and collects its output and exit status. */
export function sshExec(client: Client, command: string, stdin = ''): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) return reject(error);
      const result: SshResult = { stdout: '', stderr: '', code: undefined, signal: undefined };
      stream.on('data', (d: Buffer) => (result.stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (result.stderr += d.toString()));
      stream.on('exit', (code: number | null, signal?: string) => {
        if (code !== null) result.code = code;
        if (signal !== undefined) result.signal = signal;
      });
      stream.on('close', () => resolve(result));
      stream.end(stdin);
    });
  });
}
