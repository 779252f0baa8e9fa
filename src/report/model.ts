// The result model every reporter renders. Totals are derived here, once, never stored by
// callers, so a report cannot disagree with its own checks.
import type { SourceLocation } from '../shared/errors';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skipped';
export type ExerciseStatus = 'pass' | 'fail' | 'error';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  points: number;
  maxPoints: number;
  message: string;
  expected?: string;
  actual?: string;
  hint?: string;
  /**
   * For a check whose own step failed: the first line of that step's output that names what
   * went wrong (steps/text.ts firstErrorLine).
   */
  firstError?: string;
  /**
   * Where in the student's own files the problem is (a Dockerfile instruction, a quiz answer, a
   * protected file). Student-facing renderers show only this location.
   */
  location?: SourceLocation;
  /**
   * Where the check is defined in the exercise spec: for the instructor (the JSON report,
   * validate, selftest). Students cannot see the spec, so student-facing renderers never show it.
   */
  specLocation?: SourceLocation;
  /**
   * The check did not pass only because the exercise's setup failed (`setupError`): its message
   * says so, and it carries no expected, actual or hint of its own, which would blame the wrong
   * thing (a hint to add `--restart` when the script had it but hung).
   */
  causedBySetup?: boolean;
  /**
   * For multi-line text that was not equal: a unified line diff ("--- expected" / "+++ actual"
   * headers, then hunks). Added by the comparators' owner; renderers may show it.
   */
  diff?: string;
  /**
   * The exercise keeps this check's details secret: student-facing renderers show only its
   * name, status and points (never message, expected, actual, hint or location).
   */
  hidden?: boolean;
}

export interface ExerciseResult {
  id: string;
  title: string;
  /** The exercise spec this result came from. */
  specFile: string;
  score: number;
  maxScore: number;
  status: ExerciseStatus;
  durationMs: number;
  /** Set when a step failed or the engine broke; explains why checks did not run. */
  setupError?: string;
  /** Tail of the relevant output (e.g. the build log) for a failed step. */
  setupLog?: string;
  /**
   * The first line of the failed step's whole output that names what went wrong (an `E:` of
   * apt, a traceback's last line), which the tail in `setupLog` may have cut.
   */
  firstError?: string;
  checks: CheckResult[];
}

export interface GradeReport {
  version: 1;
  score: number;
  maxScore: number;
  passed: boolean;
  durationMs: number;
  exercises: ExerciseResult[];
}

export function exerciseResult(
  base: Omit<ExerciseResult, 'score' | 'maxScore' | 'status'> & { infraError?: boolean },
): ExerciseResult {
  const { infraError, ...rest } = base;
  const score = sum(rest.checks.map((check) => check.points));
  const maxScore = sum(rest.checks.map((check) => check.maxPoints));
  const errored = infraError === true || rest.checks.some((check) => check.status === 'error');
  // Passed means every check passed, not "no points were lost": a failing 0-point check (a
  // warning-style check) still keeps the exercise from passing.
  const allPassed = rest.checks.every((check) => check.status === 'pass');
  const status: ExerciseStatus = errored ? 'error' : allPassed ? 'pass' : 'fail';
  return { ...rest, score, maxScore, status };
}

export function gradeReport(exercises: ExerciseResult[], durationMs: number): GradeReport {
  const score = sum(exercises.map((exercise) => exercise.score));
  const maxScore = sum(exercises.map((exercise) => exercise.maxScore));
  const passed = exercises.length > 0 && exercises.every((exercise) => exercise.status === 'pass');
  return { version: 1, score, maxScore, passed, durationMs, exercises };
}

export function hasInfraError(report: GradeReport): boolean {
  return report.exercises.some((exercise) => exercise.status === 'error');
}

function sum(values: number[]): number {
  // Points may be fractional with partial credit; round away float noise.
  return Math.round(values.reduce((total, value) => total + value, 0) * 1000) / 1000;
}

/**
 * The report as a student may see it in full: hidden checks keep only their name, status and
 * points. For reports that leave the grader's hands (an artifact anyone with read access can
 * download).
 */
export function redactHidden(report: GradeReport): GradeReport {
  return {
    ...report,
    exercises: report.exercises.map((exercise) => ({
      ...exercise,
      checks: exercise.checks.map((check) =>
        check.hidden === true
          ? {
              name: check.name,
              status: check.status,
              points: check.points,
              maxPoints: check.maxPoints,
              message: '',
              hidden: true,
            }
          : check,
      ),
    })),
  };
}
