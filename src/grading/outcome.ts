// What a grading ended in, and what each adapter makes of it: the one table from an outcome (a
// grade, or the kind of failure) to the exit code and the words, for the action's step and for
// the command line side by side.
//
// The CLI's exit code tells four things apart (README): 0 passed, 1 graded and not passed, 2 bad
// spec or usage, 3 not a grade (the engine failed, or the grader itself). An action's step can
// only pass or fail (setFailed makes it 1); it keeps 3 for the engine's failures, as the CLI
// does, so that a workflow can tell them from a grade.
import { type GradeReport, hasInfraError } from '../report/model';
import {
  ExitCode,
  errorMessage,
  formatProblem,
  InfraError,
  SpecError,
  type SpecProblem,
  UsageError,
} from '../shared/errors';

export type OutcomeKind =
  /** Every check passed. */
  | 'passed'
  /** Graded, and not every check passed. */
  | 'not-passed'
  /** Graded in part: the engine failed during the grading, so the report is not a grade. */
  | 'incomplete'
  /** The exercise specs are wrong: nothing ran. */
  | 'bad-spec'
  /** The command line or the action's inputs are wrong. */
  | 'bad-usage'
  /** The engine or the machine failed before there was a report. */
  | 'infrastructure'
  /** The run was abandoned (a signal, the watchdog): the session exits on its own. */
  | 'interrupted'
  /** A bug of the grader. */
  | 'internal';

export interface Outcome {
  kind: OutcomeKind;
  /** What it is about, in a few words: the score, the error's message, the reason. */
  detail: string;
  /** A bad spec's problems, each at its place in the spec (empty for every other kind). */
  problems: readonly SpecProblem[];
}

/** A failure of the action's step: setFailed's message and the exit code it ends with. */
export interface StepFailure {
  message: string;
  exitCode: number;
}

interface Meaning {
  /** The CLI's exit code. */
  exitCode: number;
  /**
   * What the CLI writes on stderr, each line ending with a newline; empty when the report on
   * stdout says it all.
   */
  terminal: (outcome: Outcome) => string;
  /** The action's step: undefined when it passes. */
  step: (outcome: Outcome) => StepFailure | undefined;
}

const STEP_FAILED = 1;

const notAGrade = (outcome: Outcome): StepFailure => ({
  message: `grading did not complete: ${outcome.detail}; this is not a grade`,
  exitCode: ExitCode.infrastructure,
});

const MEANINGS: Record<OutcomeKind, Meaning> = {
  passed: { exitCode: ExitCode.passed, terminal: () => '', step: () => undefined },
  'not-passed': {
    exitCode: ExitCode.notPassed,
    terminal: () => '',
    step: ({ detail }) => ({ message: `${detail}: not all checks passed`, exitCode: STEP_FAILED }),
  },
  incomplete: { exitCode: ExitCode.infrastructure, terminal: () => '', step: notAGrade },
  'bad-spec': {
    exitCode: ExitCode.badInput,
    terminal: ({ problems }) => problems.map((problem) => `${formatProblem(problem)}\n`).join(''),
    // The problems themselves go to annotations and the log (the action's failure handler).
    step: ({ detail }) => ({ message: `${detail}; see the annotations and the log`, exitCode: STEP_FAILED }),
  },
  'bad-usage': {
    exitCode: ExitCode.badInput,
    terminal: ({ detail }) => `error: ${detail}\nRun docker-autograder --help for usage.\n`,
    step: ({ detail }) => ({ message: detail, exitCode: STEP_FAILED }),
  },
  infrastructure: {
    exitCode: ExitCode.infrastructure,
    terminal: ({ detail }) => `infrastructure error: ${detail}\n`,
    step: notAGrade,
  },
  interrupted: {
    exitCode: ExitCode.infrastructure,
    terminal: ({ detail }) => `infrastructure error: ${detail}; this is not a grade\n`,
    step: notAGrade,
  },
  internal: {
    // On the command line a bug is not a grade either; the action's step just fails.
    exitCode: ExitCode.infrastructure,
    terminal: ({ detail }) => `internal error: ${detail}\n`,
    step: ({ detail }) => ({ message: `internal error: ${detail}`, exitCode: STEP_FAILED }),
  },
};

export function outcomeOfReport(report: GradeReport): Outcome {
  if (hasInfraError(report)) return outcome('incomplete', 'the Docker engine failed (see the log)');
  return report.passed
    ? outcome('passed', '')
    : outcome('not-passed', `score ${report.score}/${report.maxScore}`);
}

/**
 * The outcome of an error that ended the run. `badInput`: the adapter's own errors that mean
 * its input was wrong (the action's untrusted artifact), read as a UsageError.
 */
export function outcomeOfError(
  error: unknown,
  badInput: ReadonlyArray<abstract new (...args: never[]) => Error> = [],
): Outcome {
  if (error instanceof SpecError) {
    return {
      kind: 'bad-spec',
      detail: `the exercise specs have ${error.problems.length} problem(s)`,
      problems: error.problems,
    };
  }
  if (error instanceof UsageError || badInput.some((kind) => error instanceof kind)) {
    return outcome('bad-usage', errorMessage(error));
  }
  if (error instanceof InfraError) return outcome('infrastructure', error.message);
  return outcome('internal', errorMessage(error));
}

/** The run abandoned (a signal, the watchdog), for `reason`. */
export function interrupted(reason: string): Outcome {
  return outcome('interrupted', reason);
}

export function exitCodeOf(outcome: Outcome): number {
  return MEANINGS[outcome.kind].exitCode;
}

export function terminalMessageOf(outcome: Outcome): string {
  return MEANINGS[outcome.kind].terminal(outcome);
}

export function stepFailureOf(outcome: Outcome): StepFailure | undefined {
  return MEANINGS[outcome.kind].step(outcome);
}

function outcome(kind: OutcomeKind, detail: string): Outcome {
  return { kind, detail, problems: [] };
}
