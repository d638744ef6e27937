/**
 * The `NODE_OPTIONS` the Node deploy templates give the dispatcher (deploy/node: the systemd unit is
 * the reference, the plist and the Dockerfile carry the same): the backlog benchmark runs the
 * dispatcher with exactly these, so its RSS is the deployed one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The value of `Environment="NODE_OPTIONS=…"` in a systemd unit; '' when absent. */
export function nodeOptionsOf(unit: string): string {
  return /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(unit)?.[1] ?? '';
}

export function deployedNodeOptions(root: string): string {
  return nodeOptionsOf(readFileSync(path.join(root, 'deploy/node/tartfleet-dispatcher.service'), 'utf8'));
}
