/**
 * A GET that sends the path exactly as written (fetch would resolve `..`) and either keeps the body
 * or only hashes it as it streams by, for objects too big to hold.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';

export interface GetResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, unless `hashOnly`. */
  body: Buffer;
  /** sha256 of the body, hex. */
  sha256: string;
  size: number;
  /** Milliseconds from request to the last byte. */
  ms: number;
}

/** GET `path` (sent verbatim) from `baseUrl`. */
export function httpGet(baseUrl: string, path: string, options: { headers?: Record<string, string>; hashOnly?: boolean; onChunk?: (bytesSoFar: number) => void } = {}): Promise<GetResult> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const hash = createHash('sha256');
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
          if (options.hashOnly !== true) chunks.push(chunk);
          options.onChunk?.(size);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), sha256: hash.digest('hex'), size, ms: performance.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`GET ${baseUrl}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** sha256 of a buffer, hex. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
