// Where feedback goes and how strictly, and what a failed GitHub request becomes.
import { httpStatus } from '../../github/client';
import type { AnnotationOptions } from '../../report/annotations';
import { errorMessage, UsageError } from '../../shared/errors';
import type { ActionCore } from '../core';

export interface FeedbackTarget {
  pullRequests: number[];
  headSha: string | undefined;
  runUrl: string | undefined;
  paths: AnnotationOptions;
  annotations: 'commands' | 'check-run' | 'off';
  /** A GitHub request that fails fails the step (publish mode), or is a warning (grade mode). */
  strict: boolean;
  /**
   * Whether this job graded the work itself. A published grade came from an artifact the fork
   * controlled, so its check run is `neutral`: it can never satisfy a required status check.
   */
  trustedGrade: boolean;
}

/** Reports a GitHub request that failed: `what` could not be done, because of `error`. */
export type ProblemReporter = (what: string, error: unknown) => void;

export function problemReporter(core: ActionCore, strict: boolean): ProblemReporter {
  return (what, error) => {
    const message = `${what}: ${errorMessage(error)}${hintFor(error)}`;
    if (strict) throw new UsageError(message);
    core.warning(message);
  };
}

function hintFor(error: unknown): string {
  const status = httpStatus(error);
  if (status === 403 || status === 404) {
    return ' (the token cannot write here: for pull requests from forks, grade with `artifact-path` and publish from a `workflow_run` workflow, see the README)';
  }
  return '';
}
