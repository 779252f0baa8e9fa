// The real runner behind ActionCore: the one file of the action that calls @actions/core.
import * as core from '@actions/core';
import type { ActionCore } from './core';

export const actionsCore: ActionCore = {
  getInput: (name) => core.getInput(name),
  getState: (name) => core.getState(name),
  saveState: (name, value) => core.saveState(name, value),
  setOutput: (name, value) => core.setOutput(name, value),
  info: (message) => core.info(message),
  warning: (message, place) => core.warning(message, place),
  error: (message, place) => core.error(message, place),
  setFailed: (message) => core.setFailed(message),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  appendSummary: async (markdown) => {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
  },
};
