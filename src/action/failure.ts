// How the step fails when the action cannot go on: the words and exit code come from the shared
// table (grading/outcome.ts); what is the action's own is where they go.
import { UntrustedArtifactError } from '../github/artifact';
import { type Outcome, outcomeOfError, stepFailureOf } from '../grading/outcome';
import { formatProblem } from '../shared/errors';
import type { ActionCore } from './core';
import type { Outputs } from './outputs';

/** GitHub shows 10 error annotations per step, and setFailed makes one: 9 problems, then the log. */
const SPEC_PROBLEMS_ANNOTATED = 9;

export function failStep(core: ActionCore, outputs: Outputs, error: unknown): void {
  // An artifact the action refuses is bad input, like a wrong input.
  const outcome = outcomeOfError(error, [UntrustedArtifactError]);
  outputs.error(outcome.kind === 'bad-spec' ? 'the exercise specs have problems' : outcome.detail);
  const shown = outcome.problems.slice(0, SPEC_PROBLEMS_ANNOTATED);
  for (const problem of shown) {
    core.error(problem.message, { file: problem.file, startLine: problem.line, startColumn: problem.column });
  }
  for (const problem of outcome.problems.slice(shown.length)) core.info(formatProblem(problem));
  endStep(core, outcome);
}

/** Fails the step as the outcome says (a pass leaves it alone). */
export function endStep(core: ActionCore, outcome: Outcome): void {
  const failure = stepFailureOf(outcome);
  if (failure === undefined) return;
  core.setFailed(failure.message);
  core.setExitCode(failure.exitCode);
}
