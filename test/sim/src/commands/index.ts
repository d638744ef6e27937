import type { Ctx } from '../context';
import type { CommandSpec, ParsedArgs } from '../parse-args';
import { cloneCommand, cloneSpec } from './clone';
import { createCommand, createSpec } from './create';
import { deleteCommand, deleteSpec } from './delete';
import { execCommand, execSpec } from './exec';
import { fqnCommand, fqnSpec } from './fqn';
import { getCommand, getSpec } from './get';
import { ipCommand, ipSpec } from './ip';
import { listCommand, listSpec } from './list';
import { pullCommand, pullSpec } from './pull';
import { pushCommand, pushSpec } from './push';
import { renameCommand, renameSpec } from './rename';
import { runCommand, runSpec } from './run';
import { setCommand, setSpec } from './set';
import { stopCommand, stopSpec } from './stop';

/** A subcommand: its argument spec and implementation. */
export interface Command {
  spec: CommandSpec;
  run: (ctx: Ctx, args: ParsedArgs) => void | Promise<void>;
  /** One-line abstract for `tart --help`. */
  abstract: string;
}

/** Every simulated subcommand, in tart's Root.swift order. */
export const commands: Record<string, Command> = {
  create: { spec: createSpec, run: createCommand, abstract: 'Create a VM' },
  clone: { spec: cloneSpec, run: cloneCommand, abstract: 'Clone a VM' },
  run: { spec: runSpec, run: runCommand, abstract: 'Run a VM' },
  set: { spec: setSpec, run: setCommand, abstract: 'Modify VM\'s configuration' },
  get: { spec: getSpec, run: getCommand, abstract: 'Get a VM\'s configuration' },
  list: { spec: listSpec, run: listCommand, abstract: 'List created VMs' },
  ip: { spec: ipSpec, run: ipCommand, abstract: 'Get VM\'s IP address' },
  exec: { spec: execSpec, run: execCommand, abstract: 'Execute a command in a running VM' },
  pull: { spec: pullSpec, run: pullCommand, abstract: 'Pull a VM from a registry' },
  push: { spec: pushSpec, run: pushCommand, abstract: 'Push a VM to a registry' },
  rename: { spec: renameSpec, run: renameCommand, abstract: 'Rename a local VM' },
  stop: { spec: stopSpec, run: stopCommand, abstract: 'Stop a VM' },
  delete: { spec: deleteSpec, run: deleteCommand, abstract: 'Delete a VM' },
  fqn: { spec: fqnSpec, run: fqnCommand, abstract: 'Get a fully-qualified VM name' },
};
