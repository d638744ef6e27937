import { readFileSync } from 'node:fs';
import path from 'node:path';
import { lazy } from './lazy-node';
import type { TartHome } from './tart-home';

/** One fault rule: `<fault>[@<vm-glob>][%<probability>][=<value>]` (see test/sim/README.md). */
export interface FaultRule {
  /** e.g. `clone-fail`, `boot-hang`, `slow-clone`. */
  fault: string;
  /** VM-name glob (`*`, `?`); undefined matches every VM. */
  glob: string | undefined;
  /** 0..1; the rule fires for a VM when a seeded hash of (seed, fault, VM name) falls below it. */
  probability: number;
  /** Optional parameter (a message, a delay in ms, a count). */
  value: string | undefined;
}

/** Parses rules separated by `;` or newlines; `#` starts a comment. */
export function parseFaults(text: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    const head = eq >= 0 ? line.slice(0, eq) : line;
    const value = eq >= 0 ? line.slice(eq + 1) : undefined;
    const [target, prob] = head.split('%') as [string, string | undefined];
    const at = target.indexOf('@');
    const fault = (at >= 0 ? target.slice(0, at) : target).trim();
    const glob = at >= 0 ? target.slice(at + 1).trim() : undefined;
    const probability = prob === undefined ? 1 : Number(prob);
    if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
      throw new Error(`fault rule '${line}': probability must be a number in 0..1, got '${prob}'`);
    }
    rules.push({ fault, glob, probability, value });
  }
  return rules;
}

function globMatches(glob: string, name: string): boolean {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`).test(name);
}

function roll(seed: string, fault: string, vm: string): number {
  const digest = lazy.crypto().createHash('sha256').update(`${seed}\0${fault}\0${vm}`).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000;
}

/** The fault configuration in force: `TART_SIM_FAULTS` plus the control file, re-read on each query. */
export class Faults {
  private readonly env: NodeJS.ProcessEnv;
  private readonly file: string;

  constructor(env: NodeJS.ProcessEnv, home: TartHome) {
    this.env = env;
    this.file = env.TART_SIM_FAULTS_FILE ?? path.join(home.sim, 'faults');
  }

  /** All rules, the control file's after the environment's. */
  rules(): FaultRule[] {
    let fileText = '';
    try {
      fileText = readFileSync(this.file, 'utf8');
    } catch {
      // No control file: only the environment applies.
    }
    return [...parseFaults(this.env.TART_SIM_FAULTS ?? ''), ...parseFaults(fileText)];
  }

  /**
   * The first rule for `fault` that applies to `vm` (a name glob match and a seeded probability roll),
   * or undefined. The roll is a pure function of `TART_SIM_SEED`, the fault and the VM name, so a
   * seeded run fails the same VMs every time.
   */
  find(fault: string, vm: string): FaultRule | undefined {
    const seed = this.env.TART_SIM_SEED ?? '0';
    return this.rules().find(
      (r) => r.fault === fault && (r.glob === undefined || globMatches(r.glob, vm)) && (r.probability >= 1 || roll(seed, fault, vm) < r.probability),
    );
  }

  /** A numeric fault parameter (ms, count), or `fallback` when the fault is off or has no value. */
  number(fault: string, vm: string, fallback: number): number | undefined {
    const rule = this.find(fault, vm);
    if (rule === undefined) return undefined;
    const n = Number(rule.value);
    return rule.value === undefined || !Number.isFinite(n) ? fallback : n;
  }
}
