// The one table from an outcome to an exit code and words, for both adapters: what the CLI
// returns and writes on stderr, and how the action's step fails.
import { describe, expect, it } from 'vitest';
import {
  exitCodeOf,
  interrupted,
  type Outcome,
  outcomeOfError,
  outcomeOfReport,
  stepFailureOf,
  terminalMessageOf,
} from '../../../src/grading/outcome';
import type { CheckResult } from '../../../src/report/model';
import { InfraError, SpecError, UsageError } from '../../../src/shared/errors';
import { singleExerciseReport } from '../../support/report-fixtures';

const checkOf = (status: CheckResult['status'], index: number): CheckResult => {
  const points = status === 'pass' ? 2 : 0;
  return { name: `check ${index}`, status, points, maxPoints: 2, message: status };
};

function reportOf(...statuses: CheckResult['status'][]) {
  const checks = statuses.map(checkOf);
  return singleExerciseReport({ id: 'd/one', title: 'D', specFile: 'd.yaml', durationMs: 1, checks });
}

function adapters(outcome: Outcome) {
  return {
    cli: { exitCode: exitCodeOf(outcome), stderr: terminalMessageOf(outcome) },
    step: stepFailureOf(outcome),
  };
}

class ArtifactRefused extends Error {}

describe('a grade', () => {
  it('passed: exit 0, nothing on stderr, the step passes', () => {
    expect(adapters(outcomeOfReport(reportOf('pass', 'pass')))).toEqual({
      cli: { exitCode: 0, stderr: '' },
      step: undefined,
    });
  });

  it('not passed: exit 1, and the step fails with the score', () => {
    expect(adapters(outcomeOfReport(reportOf('pass', 'fail')))).toEqual({
      cli: { exitCode: 1, stderr: '' },
      step: { message: 'score 2/4: not all checks passed', exitCode: 1 },
    });
  });

  it('with an engine failure is no grade: exit 3 on both sides', () => {
    expect(adapters(outcomeOfReport(reportOf('pass', 'error')))).toEqual({
      cli: { exitCode: 3, stderr: '' },
      step: {
        message: 'grading did not complete: the Docker engine failed (see the log); this is not a grade',
        exitCode: 3,
      },
    });
  });
});

describe('an error', () => {
  it('in the spec: exit 2 with each problem at its place; the step fails and counts them', () => {
    const error = new SpecError([
      { file: 'a/exercise.yaml', line: 3, column: 5, message: 'unknown key "usr"' },
      { file: 'b/exercise.yaml', line: 1, column: 1, message: 'missing "id"' },
    ]);
    const outcome = outcomeOfError(error);
    expect(outcome.problems).toBe(error.problems);
    expect(adapters(outcome)).toEqual({
      cli: {
        exitCode: 2,
        stderr: 'a/exercise.yaml:3:5: unknown key "usr"\nb/exercise.yaml:1:1: missing "id"\n',
      },
      step: { message: 'the exercise specs have 2 problem(s); see the annotations and the log', exitCode: 1 },
    });
  });

  it('of usage: exit 2 and a pointer to --help; the step fails with the message', () => {
    expect(adapters(outcomeOfError(new UsageError('unknown command "x"')))).toEqual({
      cli: { exitCode: 2, stderr: 'error: unknown command "x"\nRun docker-autograder --help for usage.\n' },
      step: { message: 'unknown command "x"', exitCode: 1 },
    });
  });

  it("of the adapter's own bad input reads as a usage error", () => {
    const outcome = outcomeOfError(new ArtifactRefused('refusing the artifact'), [ArtifactRefused]);
    expect(outcome).toMatchObject({ kind: 'bad-usage', detail: 'refusing the artifact' });
    expect(outcomeOfError(new ArtifactRefused('refusing the artifact')).kind).toBe('internal');
  });

  it('of the engine: exit 3 on both sides, never a grade', () => {
    expect(adapters(outcomeOfError(new InfraError('the Docker engine cannot be reached')))).toEqual({
      cli: { exitCode: 3, stderr: 'infrastructure error: the Docker engine cannot be reached\n' },
      step: {
        message: 'grading did not complete: the Docker engine cannot be reached; this is not a grade',
        exitCode: 3,
      },
    });
  });

  it("of the grader's own: exit 3 on the command line, a failed step (1) in the action", () => {
    expect(adapters(outcomeOfError(new TypeError('x is undefined')))).toEqual({
      cli: { exitCode: 3, stderr: 'internal error: x is undefined\n' },
      step: { message: 'internal error: x is undefined', exitCode: 1 },
    });
    expect(terminalMessageOf(outcomeOfError('thrown text'))).toBe('internal error: thrown text\n');
  });
});

it('an abandoned run says why, and that it is not a grade', () => {
  expect(adapters(interrupted('SIGTERM received'))).toEqual({
    cli: { exitCode: 3, stderr: 'infrastructure error: SIGTERM received; this is not a grade\n' },
    step: { message: 'grading did not complete: SIGTERM received; this is not a grade', exitCode: 3 },
  });
});
