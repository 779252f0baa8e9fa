// The only reader of the action's inputs; names match action.yml.
import * as core from '@actions/core';
import { UsageError } from './errors';

export interface Inputs {
  exercises: string[];
  submission: string;
  failIfNotPassed: boolean;
  reportFile: string;
}

export function readInputs(env: NodeJS.ProcessEnv = process.env): Inputs {
  const exercises = core
    .getInput('exercises', { required: true })
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (exercises.length === 0) throw new UsageError('input "exercises" names no exercise');
  const temp = env.RUNNER_TEMP ?? '.';
  return {
    exercises,
    submission: core.getInput('submission') || '.',
    failIfNotPassed: booleanInput('fail-if-not-passed', true),
    reportFile: core.getInput('report-file') || `${temp}/docker-autograder/report.json`,
  };
}

function booleanInput(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '') return fallback;
  if (['true', 'yes', '1'].includes(value)) return true;
  if (['false', 'no', '0'].includes(value)) return false;
  throw new UsageError(`input "${name}" must be true or false, not "${value}"`);
}
