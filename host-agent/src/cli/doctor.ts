import type { CheckResult } from './doctor-checks';

const MARK: Record<CheckResult['status'], string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** A plain table: check, status, detail. */
export function renderDoctorTable(results: readonly CheckResult[]): string {
  const nameWidth = Math.max(5, ...results.map((r) => r.name.length));
  const lines = [`${'CHECK'.padEnd(nameWidth)}  STATUS  DETAIL`];
  for (const r of results) {
    lines.push(`${r.name.padEnd(nameWidth)}  ${MARK[r.status].padEnd(6)}  ${r.detail}`);
    if (r.fix !== undefined && (r.status === 'warn' || r.status === 'fail')) lines.push(`${''.padEnd(nameWidth)}  ${''.padEnd(6)}  fix: ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push('', failed === 0 ? 'no failed checks' : `${failed} check(s) failed`);
  return `${lines.join('\n')}\n`;
}

/** `--json`: `{ ok, checks }`, stable for scripts. */
export function renderDoctorJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: doctorExitCode(results) === 0, checks: results }, null, 2)}\n`;
}

/** 1 when any check failed; warnings and skips do not fail the run. */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
