/**
 * What any TartCli must do: one suite, run against the in-memory fake the unit
 * tests use and against the real driver on the tart simulator, so the fake cannot drift from tart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TartCli } from '../../../host-agent/src/tart/tart-cli';
import { waitFor } from '../../helpers/wait-for';

/** A TartCli with a stopped local VM named `base`, and a way to dispose of it. */
export interface ContractSubject {
  tart: TartCli;
  close(): Promise<void>;
}

export function defineTartCliContract(label: string, make: () => Promise<ContractSubject>): void {
  describe(`TartCli contract: ${label}`, () => {
    let subject: ContractSubject;
    let logDir: string;
    beforeAll(async () => {
      subject = await make();
      logDir = mkdtempSync(path.join(tmpdir(), 'tf-contract-'));
    });
    afterAll(async () => {
      await subject.close();
      rmSync(logDir, { recursive: true, force: true });
    });

    it('clones, configures, runs, resolves the IP, refuses to delete a running VM, stops and deletes', async () => {
      const { tart } = subject;
      await expect(tart.clone('no-such-image', 'tf-ct-x1')).rejects.toMatchObject({ kind: 'vm-missing' });
      await tart.clone('base', 'tf-ct-a1');
      // macOS images carry minimums (docs/reference/tart-cli.md §3 `set`): 4 cores here.
      await expect(tart.set('tf-ct-a1', { cpu: 2 })).rejects.toMatchObject({ kind: 'other', detail: expect.stringMatching(/at minimum/) as unknown as string });
      await tart.set('tf-ct-a1', { cpu: 6, memoryMb: 8192, randomMac: true });
      expect(await tart.get('tf-ct-a1')).toMatchObject({ cpu: 6, memoryMb: 8192, state: 'stopped' });
      expect((await tart.list()).find((vm) => vm.name === 'tf-ct-a1')).toMatchObject({ source: 'local', state: 'stopped' });

      const run = tart.run('tf-ct-a1', { logFile: path.join(logDir, 'a1.log') });
      await waitFor('running', async () => (await tart.get('tf-ct-a1')).state === 'running', 20_000, 50);
      expect(await tart.ip('tf-ct-a1', 20)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      await expect(tart.delete('tf-ct-a1')).rejects.toMatchObject({ kind: 'vm-running' });

      await tart.stop('tf-ct-a1', 5);
      const exit = await run.exited;
      expect(exit.exitCode).toBe(0);
      expect(exit.error).toBeUndefined();
      await expect(tart.stop('tf-ct-a1', 5)).rejects.toMatchObject({ kind: 'not-running' });
      await tart.delete('tf-ct-a1');
      await expect(tart.get('tf-ct-a1')).rejects.toMatchObject({ kind: 'vm-missing' });
      await tart.stopAndDelete('tf-ct-a1', { stopTimeoutSeconds: 1, deadlineMs: 5_000 });
    });

    it('stopAndDelete takes a running VM all the way down', async () => {
      const { tart } = subject;
      await tart.clone('base', 'tf-ct-b1');
      const run = tart.run('tf-ct-b1', { logFile: path.join(logDir, 'b1.log') });
      await waitFor('running', async () => (await tart.get('tf-ct-b1')).state === 'running', 20_000, 50);
      await tart.stopAndDelete('tf-ct-b1', { stopTimeoutSeconds: 2, deadlineMs: 20_000 });
      await run.exited;
      expect((await tart.list()).map((vm) => vm.name)).not.toContain('tf-ct-b1');
    });
  });
}
