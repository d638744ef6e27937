/**
 * A minimal process running the lifecycle service with real dependencies, for crash tests (kill -9,
 * restart). Not the agent's entrypoint (host-agent/src/main.ts): no HTTP, just the service.
 *   argv[2]  path of a JSON file: { config, timing? }
 *   stdin    JSON lines: {"op":"start","request":{...}} (the JIT config travels here, not in argv)
 *            {"op":"shutdown","timeoutMs":N}
 *   stdout   JSON lines: {"event":"ready"}, {"event":"started","name":...}, {"event":"rejected",...},
 *            {"event":"stopped"}
 *   stderr   the service's JSON log lines
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { createFileJournal } from '../../../host-agent/src/journal/journal';
import { createRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { createSsh2RemoteShell } from '../../../host-agent/src/ssh/remote-shell';
import { createTartCli } from '../../../host-agent/src/tart/tart-cli';
import type { Logger } from '../../../core/logger';
import { createRecordingObserver } from '../../fakes/recording-observer';

function stderrLogger(bindings: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (obj: Record<string, unknown>, msg?: string) => process.stderr.write(`${JSON.stringify({ level, time: Date.now(), ...bindings, ...obj, msg })}\n`);
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (more) => stderrLogger({ ...bindings, ...more }) };
}

const emit = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

const setup = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { config: unknown; timing?: Record<string, number> };
const config = agentConfigSchema.parse(setup.config);
const logger = stderrLogger({ pid: process.pid });
const service = createRunnerService({
  config,
  tart: createTartCli({ bin: config.tart.bin, home: config.tart.home, logger }),
  shell: createSsh2RemoteShell({ logger }),
  journal: createFileJournal({ stateDir: config.stateDir, logger }),
  observer: createRecordingObserver(),
  logger,
  version: 'harness',
  timing: setup.timing,
});
await service.ready;
emit({ event: 'ready' });

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { op: string; request?: Parameters<typeof service.start>[0]; timeoutMs?: number };
  if (command.op === 'start' && command.request) {
    try {
      service.start(command.request);
      emit({ event: 'started', name: command.request.name });
    } catch (error: unknown) {
      emit({ event: 'rejected', name: command.request.name, error: String(error) });
    }
  } else if (command.op === 'shutdown') {
    await service.shutdown(command.timeoutMs ?? 1_000);
    emit({ event: 'stopped' });
    process.exit(0);
  }
}
