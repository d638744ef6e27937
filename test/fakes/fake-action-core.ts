import type { ActionCore } from '../../action-src/core';

/** An ActionCore whose inputs come from a map; it records what the action masked. */
export function fakeActionCore(inputs: Record<string, string>): ActionCore & { secrets: string[] } {
  const secrets: string[] = [];
  return {
    secrets,
    getInput: (name) => inputs[name] ?? '',
    setSecret: (v) => secrets.push(v),
    setOutput: () => {},
    saveState: () => {},
    getState: () => '',
    debug: () => {},
    info: () => {},
    warning: () => {},
    summary: async () => {},
  };
}
