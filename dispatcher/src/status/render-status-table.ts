/** The status view as plain-text tables, for a terminal (`tartfleet-dispatcher status`). */
import type { StatusView } from './status-model';

/** Columns padded to their widest cell; control characters from the fleet are not passed to the terminal. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  // eslint-disable-next-line no-control-regex
  const clean = (v: string | number) => String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const all = [header.map(clean), ...rows.map((r) => r.map(clean))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

const secs = (s: number | null): string => (s === null ? '-' : s < 60 ? `${s.toFixed(1)}s` : s < 3600 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`);

/** Each slot as one letter: B busy, b booting, W warm, . free, ! suspect, D draining. */
const LETTER = { busy: 'B', booting: 'b', warm: 'W', free: '.', suspect: '!', draining: 'D' } as const;

export function renderStatusTable(v: StatusView): string {
  const t = v.totals;
  const out: string[] = [];
  out.push(`tartfleet status at ${v.generatedAt}`);
  out.push(`hosts ${t.reachable}/${t.hosts}  slots ${t.slots}: ${t.busy} busy, ${t.booting} booting, ${t.warm} warm, ${t.free} free, ${t.suspect} suspect, ${t.draining} draining`);
  out.push('', 'HOSTS (B busy, b booting, W warm, . free, ! suspect, D draining)');
  out.push(table(['host', 'slots', 'busy', 'booting', 'warm', 'free', 'suspect', 'state'], v.hosts.map((h) => [h.id ?? h.url, h.cells.map((c) => LETTER[c]).join('') || '-', h.slots.busy, h.slots.booting, h.slots.warm, h.slots.free, h.slots.suspect, h.error ? `unreachable: ${h.error}` : h.draining ? 'draining' : 'ok'])));
  out.push('', 'QUEUE');
  out.push(table(['pool', 'queued', 'oldest wait'], v.queue.map((q) => [q.pool, q.depth, secs(q.oldestWaitSeconds)])));
  out.push('', 'RUNNERS');
  out.push(v.runners.length === 0 ? '(none)' : table(['runner', 'host', 'pool', 'job', 'stage', 'age'], v.runners.map((r) => [r.name, r.host, r.pool, r.jobId ?? '-', r.stage, secs(r.ageSeconds)])));
  out.push('', 'RECENT JOBS');
  out.push(v.recentJobs.length === 0 ? '(none)' : table(['job', 'pool', 'runner', 'started', 'start latency'], v.recentJobs.map((j) => [j.jobId, j.pool, j.runner ?? '-', j.startedAt, `${secs(j.startLatencySeconds)}${j.latencyFrom === 'requested' ? ' (from runner request)' : ''}`])));
  out.push('', 'IMAGES');
  out.push(table(['pool', 'image', 'hosts'], v.images.flatMap((p) => p.images.map((i) => [p.pool, i.image, i.hosts.join(',')]))));
  const gh = v.github;
  out.push('', `github: ${gh.registrations === null ? `registrations unavailable (${gh.error ?? 'unknown'})` : `${gh.registrations} registrations of ours`}${gh.rateLimitRemaining === null ? '' : `, rate-limit budget ${gh.rateLimitRemaining}`}`);
  return out.join('\n');
}
