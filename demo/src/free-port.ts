import { createServer } from 'node:net';

/**
 * A loopback port free right now, for a process started moments later that must be told its port
 * (the dispatcher, Prometheus). Drawn below Linux's ephemeral range (32768–60999): a port the kernel
 * handed out for `listen(0)` is soon handed to another process's `listen(0)` or outgoing
 * connection, and the process we start then meets EADDRINUSE.
 */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
    if (attempt >= 50) throw new Error('no free loopback port found in 20000-31999 after 50 tries');
  }
}
