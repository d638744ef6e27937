/**
 * An upstream in its own node process, so its memory can be measured apart from the test's: serves
 * `GET /<anything>` as a generated body of SIZE bytes (patternChunk's bytes), written with
 * backpressure, and prints `listening <port>` and `done <path>` lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { patternChunk } from './upstream-server';

const SCRIPT = `
const http = require('node:http');
const [host, size] = [process.argv[1], Number(process.argv[2])];
const CHUNK = 64 * 1024;
const pattern = ${patternChunk.toString()};
const drained = (res) => new Promise((resolve) => {
  const go = () => { res.off('drain', go); res.off('close', go); resolve(); };
  res.on('drain', go);
  res.on('close', go);
});
const server = http.createServer(async (req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  for (let offset = 0; offset < size; offset += CHUNK) {
    if (res.destroyed) return;
    if (!res.write(pattern(offset, Math.min(CHUNK, size - offset)))) await drained(res);
  }
  res.end(() => console.log('done ' + req.url + ' ' + Date.now()));
});
server.listen(0, host, () => console.log('listening ' + server.address().port));
`;

export interface GeneratedUpstream {
  url: string;
  pid: number;
  /** Paths whose body the upstream finished writing, with the wall-clock time (Date.now()). */
  done: Map<string, number>;
  rssBytes(): number;
  stop(): Promise<void>;
}

/** Starts the upstream process on `host`, serving `size` bytes per request. */
export async function startGeneratedUpstream(host: string, size: number): Promise<GeneratedUpstream> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, host, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Map<string, number>();
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('generated upstream did not report its port within 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`generated upstream exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const [word, value, at] = line.split(' ');
      if (word === 'listening') {
        clearTimeout(timer);
        resolve(Number(value));
      } else if (word === 'done' && value !== undefined) {
        done.set(value, Number(at));
      }
    });
  });
  const pid = child.pid!;
  return {
    url: `http://${host}:${port}`,
    pid,
    done,
    rssBytes: () => {
      try {
        const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : 0;
      } catch {
        return 0;
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
