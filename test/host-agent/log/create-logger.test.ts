import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../host-agent/src/log/create-logger';
import { REDACTED } from '../../../core/logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { destination, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), raw: () => lines.join('\n') };
}

describe('agent logger', () => {
  it('writes JSON lines with runner, pool and stage from child loggers', () => {
    const out = capture();
    const root = createLogger({ destination: out.destination, base: { host: 'mini-1' } });
    root.child({ runner: 'tf-macos-a1', pool: 'macos' }).child({ stage: 'booting' }).info({ ip: '192.168.64.3' }, 'guest has an IP');
    const [line] = out.records();
    expect(line).toMatchObject({ level: 'info', host: 'mini-1', runner: 'tf-macos-a1', pool: 'macos', stage: 'booting', ip: '192.168.64.3', msg: 'guest has an IP' });
    expect(typeof line?.time).toBe('string');
  });

  it('redacts child bindings of grandchildren too', () => {
    const out = capture();
    createLogger({ destination: out.destination }).child({ pool: 'macos' }).child({ token: 'GRAND-TOKEN' }).info('x');
    expect(out.raw()).not.toContain('GRAND-TOKEN');
    expect(out.records()[0]).toMatchObject({ pool: 'macos', token: REDACTED });
  });

  it('redacts secrets at any depth, in objects, arrays, errors and child bindings', () => {
    const out = capture();
    const log = createLogger({ destination: out.destination }).child({ agentSecret: 'BIND-SECRET', pool: 'macos' });
    const err = Object.assign(new Error('start failed'), { jitConfig: 'ERR-JIT' });
    log.warn(
      {
        jitConfig: 'TOP-JIT',
        request: { name: 'tf-macos-a1', jitConfig: 'NESTED-JIT', headers: { authorization: 'Bearer AUTH', 'x-tartfleet-signature': 'sha256=SIG' } },
        secrets: ['S1', 'S2'],
        list: [{ token: 'TOK' }, { password: 'PW' }],
        config: { ssh: { privateKeyFile: '/keys/id', password: 'SSH-PW' }, apiKey: 'AK' },
        err,
      },
      'something',
    );
    const raw = out.raw();
    for (const leaked of ['BIND-SECRET', 'TOP-JIT', 'NESTED-JIT', 'Bearer AUTH', 'sha256=SIG', 'S1', 'S2', 'TOK', 'PW', 'SSH-PW', 'AK', 'ERR-JIT']) {
      expect(raw, leaked).not.toContain(leaked);
    }
    const [line] = out.records();
    expect(line).toMatchObject({ jitConfig: REDACTED, agentSecret: REDACTED, secrets: REDACTED, request: { name: 'tf-macos-a1', jitConfig: REDACTED } });
    expect(raw).toContain('start failed');
  });
});
