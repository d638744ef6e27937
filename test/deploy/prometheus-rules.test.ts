/**
 * deploy/prometheus/rules.yml through the real promtool (Debian `prometheus`): the rules load, their
 * unit tests pass, every alert has a firing and a quiet case, and the tests do catch a broken rule.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtool } from '../helpers/promtool';
import { useTempDirs } from '../helpers/temp-dir';

const DIR = path.resolve(__dirname, '../../deploy/prometheus');
const TEST_FILES = ['rules.test.yml', 'rules-boot.test.yml'];

interface RuleFile {
  groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

async function alerts(): Promise<string[]> {
  const rules = parse(await readFile(path.join(DIR, 'rules.yml'), 'utf8')) as RuleFile;
  return rules.groups.flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => a !== undefined));
}

const tempDir = useTempDirs('tf-rules-');

describe('deploy/prometheus/rules.yml', () => {
  it('passes promtool check rules', async () => {
    const r = await promtool(['check', 'rules', path.join(DIR, 'rules.yml')]);
    expect(r.output).toContain(`SUCCESS: ${(await alerts()).length} rules found`);
    expect(r.code).toBe(0);
  });

  it('passes its promtool unit tests', async () => {
    const r = await promtool(['test', 'rules', ...TEST_FILES.map((f) => path.join(DIR, f))]);
    expect(r.output.match(/SUCCESS/g)).toHaveLength(TEST_FILES.length);
    expect(r.code).toBe(0);
  });

  it('tests every alert with one firing and one quiet case', async () => {
    const files = await Promise.all(TEST_FILES.map(async (f) => parse(await readFile(path.join(DIR, f), 'utf8')) as RuleTests));
    const cases = files.flatMap((file) => file.tests.flatMap((t) => t.alert_rule_test ?? []));
    const names = await alerts();
    expect(names).toEqual(expect.arrayContaining(['TartfleetAgentDown', 'TartfleetAgentNotScraped', 'TartfleetSlotsSuspect', 'TartfleetVmBootSlow', 'TartfleetQueueWaitHigh', 'TartfleetJobsUnmatched', 'TartfleetGitHubBudgetLow', 'TartfleetImageStale', 'TartfleetDiskLow', 'TartfleetMirrorDown', 'TartfleetFleetDiscrepancies', 'TartfleetWarmHitRatioLow']));
    for (const name of names) {
      const mine = cases.filter((c) => c.alertname === name);
      expect({ name, firing: mine.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({ name, firing: true });
      expect({ name, quiet: mine.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({ name, quiet: true });
    }
  });

  it('the unit tests fail when a rule loses its margin (they can fail)', async () => {
    const tmp = await tempDir();
    await cp(DIR, tmp, { recursive: true });
    const rules = await readFile(path.join(tmp, 'rules.yml'), 'utf8');
    const broken = rules.replace('+ runner_disk_free_margin_bytes', '');
    expect(broken).not.toBe(rules);
    await writeFile(path.join(tmp, 'rules.yml'), broken);
    const r = await promtool(['test', 'rules', path.join(tmp, 'rules.test.yml')]);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('alertname: TartfleetDiskLow');
  });
});
