import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './create-fake-github';

/** A fake GitHub listening on loopback. */
export interface RunningFakeGitHub extends FakeGitHub {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Stops listening (open long polls are cut) and stops timers. */
  close(): Promise<void>;
}

/** Serves a new fake on 127.0.0.1 (port 0 = any free port unless `port` is given). */
export async function startFakeGitHub(options: FakeGitHubOptions & { port?: number; host?: string } = {}): Promise<RunningFakeGitHub> {
  const fake = createFakeGitHub(options);
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: fake.app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  if (options.publicUrl === undefined) fake.setPublicUrl(url);
  const closeFake = fake.close;
  return Object.assign(fake, {
    url,
    port,
    async close(): Promise<void> {
      closeFake();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Long polls would keep close() waiting for up to pollTimeoutMs.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  });
}
