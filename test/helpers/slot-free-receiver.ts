/**
 * A stand-in for the dispatcher's `POST /v1/slots/free` on a real loopback port: it verifies the
 * signature as the dispatcher does (createRequestVerifier for `tartfleet-dispatcher`), records what
 * arrived and answers as a test tells it (202 `{ placed }`, 401 on a bad signature, or anything else).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestVerifier, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../core/agent-api/auth';

export interface ReceivedCallback {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
  verified: boolean;
}

export interface SlotFreeReceiver {
  url: string;
  readonly received: ReceivedCallback[];
  /** How to answer a verified request (default 202 `{ placed: 0 }`); may wait before answering. */
  answer: (res: ServerResponse) => void | Promise<void>;
  close(): Promise<void>;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export async function startSlotFreeReceiver(secret: string): Promise<SlotFreeReceiver> {
  const verifier = createRequestVerifier({ hostId: 'tartfleet-dispatcher', secrets: [secret], now: () => Date.now() });
  const receiver: SlotFreeReceiver = {
    url: '',
    received: [],
    answer: (res) => {
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ placed: 0 }));
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const result = await verifier.verify({ method: req.method ?? '', path: req.url ?? '', body: new Uint8Array(raw), timestamp: header(req, TIMESTAMP_HEADER), nonce: header(req, NONCE_HEADER), signature: header(req, SIGNATURE_HEADER) });
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          body = raw.toString('utf8');
        }
        receiver.received.push({ method: req.method ?? '', path: req.url ?? '', contentType: header(req, 'content-type'), body, verified: result.ok });
        if (!result.ok) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthorized', message: result.reason } }));
          return;
        }
        await receiver.answer(res);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
