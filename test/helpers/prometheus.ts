/**
 * The real Prometheus server (Debian `prometheus`) on a loopback port, with a generated config and
 * its TSDB in a temp directory, for tests that check queries and rules against live scrapes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../../demo/src/free-port';
import { startProc, type Proc } from '../../demo/src/proc';
import { waitFor } from './wait-for';

export interface ScrapeJob {
  name: string;
  /** `host:port` targets, scraped over plain HTTP at `/metrics`. */
  targets: string[];
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  /** An instant query; throws unless Prometheus answers `success`. */
  query(expr: string): Promise<PromSample[]>;
  /** `/api/v1/rules` groups. */
  rules(): Promise<{ name: string; rules: { name: string; health: string; lastError?: string; type: string }[] }[]>;
  proc: Proc;
  stop(): Promise<void>;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus answered ${res.status} for ${url}: ${body.error ?? 'no error text'}`);
  return body.data;
}

/** Starts Prometheus scraping `jobs` every `intervalS` seconds and evaluating `ruleFiles` as often. */
export async function startPrometheus(options: { jobs: ScrapeJob[]; ruleFiles?: string[]; intervalS?: number }): Promise<RunningPrometheus> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-prometheus-'));
  const interval = `${options.intervalS ?? 1}s`;
  // JSON is YAML: no YAML writer needed.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: options.jobs.map((j) => ({ job_name: j.name, static_configs: [{ targets: j.targets }] })),
  };
  await writeFile(path.join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freeLoopbackPort();
  const proc = startProc('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await proc.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('Prometheus to be ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 20_000, 100);
  } catch (error: unknown) {
    await stop();
    throw new Error(`${String(error)}; prometheus said:\n${proc.lines.slice(-10).join('\n')}`, { cause: error });
  }
  return {
    url,
    proc,
    query: async (expr) => (await api<{ resultType: string; result: PromSample[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    rules: async () => (await api<{ groups: Awaited<ReturnType<RunningPrometheus['rules']>> }>(`${url}/api/v1/rules`)).groups,
    stop,
  };
}
