// The only reader of the action's inputs; names match action.yml.
import { COMMENT_KEY } from '../report/comment';
import { UsageError } from '../shared/errors';
import { actionsCore } from './actions-core';
import type { ActionCore } from './core';

export const MODES = ['grade', 'publish'] as const;
export type Mode = (typeof MODES)[number];
export const COMMENT_MODES = ['always', 'on-failure', 'off'] as const;
export type CommentMode = (typeof COMMENT_MODES)[number];
export const ANNOTATION_MODES = ['auto', 'commands', 'check-run', 'off'] as const;
export type AnnotationMode = (typeof ANNOTATION_MODES)[number];

export interface Inputs {
  mode: Mode;
  /** Empty in publish mode, which grades nothing. */
  exercises: string[];
  submission: string;
  /** The engine (a DOCKER_HOST value); empty: DOCKER_HOST, else the local socket. */
  dockerHost: string;
  failIfNotPassed: boolean;
  reportFile: string;
  comment: CommentMode;
  commentKey: string;
  /** The login the sticky comment must be written by; empty: learnt from the token. */
  commentAuthor: string;
  annotations: AnnotationMode;
  checkName: string;
  /** grade: where to write the artifact folder (empty: none); publish: where it was downloaded. */
  artifactPath: string;
  token: string;
}

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

type InputReader = Pick<ActionCore, 'getInput'>;

export function readInputs(env: NodeJS.ProcessEnv = process.env, core: InputReader = actionsCore): Inputs {
  const mode = choice(core, 'mode', MODES, 'grade');
  // Not getInput's `required`: its plain Error would read as an internal error.
  const exercises = core
    .getInput('exercises')
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (mode === 'grade' && exercises.length === 0) {
    throw new UsageError(
      'input "exercises" is required in mode "grade": exercise files or folders, one per line',
    );
  }
  const artifactPath = core.getInput('artifact-path').trim();
  if (mode === 'publish' && artifactPath === '') {
    throw new UsageError('mode "publish" needs the input "artifact-path": the folder the grade job uploaded');
  }
  const commentKey = core.getInput('comment-key').trim() || 'default';
  if (!COMMENT_KEY.test(commentKey)) {
    throw new UsageError('input "comment-key" must be 1 to 64 letters, digits, ".", "_" or "-"');
  }
  const commentAuthor = core.getInput('comment-author').trim();
  if (commentAuthor !== '' && !LOGIN.test(commentAuthor)) {
    throw new UsageError(`input "comment-author" is not a GitHub login: "${commentAuthor.slice(0, 60)}"`);
  }
  const checkName = core.getInput('check-name').trim() || 'Docker autograder';
  if (checkName.length > 100) throw new UsageError('input "check-name" is longer than 100 characters');
  const temp = env.RUNNER_TEMP ?? '.';
  return {
    mode,
    exercises,
    submission: core.getInput('submission') || '.',
    dockerHost: core.getInput('docker-host').trim(),
    failIfNotPassed: booleanInput(core, 'fail-if-not-passed', true),
    reportFile: core.getInput('report-file') || `${temp}/docker-autograder/report.json`,
    comment: choice(core, 'comment', COMMENT_MODES, 'always'),
    commentKey,
    commentAuthor,
    annotations: choice(core, 'annotations', ANNOTATION_MODES, 'auto'),
    checkName,
    artifactPath,
    token: core.getInput('github-token').trim(),
  };
}

function choice<T extends string>(core: InputReader, name: string, allowed: readonly T[], fallback: T): T {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '') return fallback;
  const match = allowed.find((option) => option === value);
  if (match === undefined) {
    throw new UsageError(`input "${name}" must be one of ${allowed.join(', ')}, not "${value.slice(0, 60)}"`);
  }
  return match;
}

function booleanInput(core: InputReader, name: string, fallback: boolean): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '') return fallback;
  if (['true', 'yes', '1'].includes(value)) return true;
  if (['false', 'no', '0'].includes(value)) return false;
  throw new UsageError(`input "${name}" must be true or false, not "${value}"`);
}
