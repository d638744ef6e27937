/**
 * A local stand-in for a package registry: node http(s) on a loopback address, serving objects the
 * test registers, counting every request it receives and remembering the headers and TLS server
 * name each came with. Large bodies are generated chunk by chunk, so the upstream never holds one.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** What the upstream answers for one path. */
export interface UpstreamObject {
  status?: number;
  headers?: Record<string, string>;
  /** A fixed body. */
  body?: Buffer | string;
  /** Or a generated body of this many bytes (see `patternChunk`), streamed with backpressure. */
  size?: number;
  /** Delay before the response starts (keeps a fill in flight while concurrent requests arrive). */
  delayMs?: number;
}

/** One request as the upstream saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** TLS SNI, for the HTTPS variant. */
  servername?: string;
}

export interface UpstreamServer {
  /** `http://127.x.y.z:port` or `https://…`. */
  url: string;
  /** host:port to put in a mirror's `connect`. */
  hostPort: string;
  objects: Map<string, UpstreamObject>;
  seen: SeenRequest[];
  /** Requests that reached the upstream for `path`. */
  count(path: string): number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

/** Deterministic bytes for offset `offset` of a generated body: a checksum can be computed without
 * keeping the body. */
export function patternChunk(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = ((offset + i) * 31 + ((offset + i) >>> 16)) & 0xff;
  return out;
}

async function writeGenerated(res: http.ServerResponse, size: number): Promise<void> {
  for (let offset = 0; offset < size; offset += CHUNK) {
    if (res.destroyed) return;
    const ok = res.write(patternChunk(offset, Math.min(CHUNK, size - offset)));
    if (!ok) {
      await new Promise<void>((resolve) => {
        const go = (): void => {
          res.off('drain', go);
          res.off('close', go);
          resolve();
        };
        res.on('drain', go);
        res.on('close', go);
      });
    }
  }
  res.end();
}

/** Starts the upstream on `host` (a loopback address), port chosen by the kernel. */
export async function startUpstream(options: { host: string; tls?: { key: string; cert: string } }): Promise<UpstreamServer> {
  const objects = new Map<string, UpstreamObject>();
  const seen: SeenRequest[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = req.url ?? '/';
    const servername = (req.socket as Partial<TLSSocket>).servername;
    seen.push({ method: req.method ?? 'GET', path, headers: req.headers, ...(typeof servername === 'string' ? { servername } : {}) });
    const object = objects.get(path);
    const respond = (): void => {
      if (object === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no object at ${path}\n`);
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...object.headers };
      if (object.size !== undefined) {
        res.writeHead(object.status ?? 200, { ...headers, 'content-length': String(object.size) });
        if (req.method === 'HEAD') res.end();
        else void writeGenerated(res, object.size);
        return;
      }
      const body = object.body ?? '';
      res.writeHead(object.status ?? 200, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (object?.delayMs !== undefined) setTimeout(respond, object.delayMs);
    else respond();
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostPort = `${options.host}:${port}`;
  return {
    url: `${options.tls ? 'https' : 'http'}://${hostPort}`,
    hostPort,
    objects,
    seen,
    count: (path) => seen.filter((s) => s.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
