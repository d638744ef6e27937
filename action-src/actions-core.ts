/** ActionCore over the real `@actions/core`. */
import * as core from '@actions/core';
import type { ActionCore } from './core';

export const actionsCore: ActionCore = {
  getInput: (name) => core.getInput(name),
  setSecret: (value) => core.setSecret(value),
  setOutput: (name, value) => core.setOutput(name, value),
  saveState: (name, value) => core.saveState(name, value),
  getState: (name) => core.getState(name),
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  summary: async (markdown) => {
    await core.summary.addRaw(markdown, true).write();
  },
};
