// The action's `result` output in GitHub Classroom's grader format, as read by
// classroom-resources/autograding-grading-reporter: base64 of
// {"version":1,"status","max_score","tests":[{"name","status","score","message","line_no",
// "filename","test_code","duration"}]}.
//
// The reporter adds up each test's `score` for the grade it sends to Classroom (with `max_score`
// as the maximum) and prints `name`, `message` and `test_code` straight to its own step's log,
// outside any stop-commands block. Classroom reads the grade from a notice annotation in that
// log, so a student's text that became a workflow command there could forge the grade: every
// string is therefore stripped, defanged and capped here, and hidden checks carry no details.
import type { CheckResult, CheckStatus, ExerciseResult, GradeReport } from './model';
import { hasInfraError } from './model';
import { defangWorkflowCommands, oneLine, stripUnsafe, truncateText } from './sanitize';

export type ClassroomStatus = 'pass' | 'fail' | 'error';

export interface ClassroomTest {
  name: string;
  status: ClassroomStatus;
  score: number;
  message: string;
  line_no: number;
  filename: string;
  test_code: string;
  duration: number;
}

export interface ClassroomResult {
  version: 1;
  status: ClassroomStatus;
  max_score: number;
  tests: ClassroomTest[];
}

interface Limits {
  name: number;
  message: number;
  testCode: number;
}

// Tried in order until the output fits. Every check stays a test (the reporter adds up their
// scores), so the last resort shortens names; past that, each exercise becomes one test.
const LIMITS: Limits[] = [
  { name: 200, message: 1_000, testCode: 300 },
  { name: 200, message: 200, testCode: 100 },
  { name: 100, message: 0, testCode: 0 },
  { name: 40, message: 0, testCode: 0 },
];
const DEFAULT_LIMITS: Limits = { name: 200, message: 1_000, testCode: 300 };
// GitHub allows 1 MB of outputs per job; base64 grows the JSON by a third.
export const MAX_RESULT_CHARS = 600_000;

const STATUS: Record<CheckStatus, ClassroomStatus> = {
  pass: 'pass',
  fail: 'fail',
  // A check that could not run earns nothing; for the reporter that is a failed test.
  skipped: 'fail',
  error: 'error',
};

export function classroomResult(report: GradeReport, limits: Limits = DEFAULT_LIMITS): ClassroomResult {
  const infraError = hasInfraError(report);
  return {
    version: 1,
    status: report.passed ? 'pass' : infraError ? 'error' : 'fail',
    // The reporter adds up the tests' scores whatever the status, and records nothing when
    // max_score is 0: an engine failure must not reach Classroom as a (low) grade.
    max_score: infraError ? 0 : report.maxScore,
    tests: report.exercises.flatMap((exercise) =>
      exercise.checks.map((check) => classroomTest(exercise, check, limits)),
    ),
  };
}

/** The `result` output: base64 JSON, shortened until it fits MAX_RESULT_CHARS. */
export function renderClassroom(report: GradeReport): string {
  const encode = (result: ClassroomResult): string =>
    Buffer.from(JSON.stringify(result), 'utf8').toString('base64');
  for (const limits of LIMITS) {
    const encoded = encode(classroomResult(report, limits));
    if (encoded.length <= MAX_RESULT_CHARS) return encoded;
  }
  return encode({ ...classroomResult(report), tests: report.exercises.map(exerciseTest) });
}

/**
 * The `result` output when grading did not produce a grade (the engine failed, the run was
 * interrupted): status error, max_score 0 so nothing is recorded, and the reason as the message.
 */
export function renderClassroomError(reason: string): string {
  const result: ClassroomResult = {
    version: 1,
    status: 'error',
    max_score: 0,
    tests: [
      {
        name: 'docker-autograder',
        status: 'error',
        score: 0,
        message: safe(reason, DEFAULT_LIMITS.message),
        line_no: 0,
        filename: '',
        test_code: '',
        duration: 0,
      },
    ],
  };
  return Buffer.from(JSON.stringify(result), 'utf8').toString('base64');
}

function classroomTest(exercise: ExerciseResult, check: CheckResult, limits: Limits): ClassroomTest {
  const hidden = check.hidden === true;
  const location = hidden ? undefined : check.location;
  return {
    name: safe(`${exercise.id}: ${check.name}`, limits.name),
    status: STATUS[check.status],
    score: check.points,
    message: hidden || check.status === 'pass' ? '' : safe(describe(check), limits.message),
    line_no: location?.line ?? 0,
    filename: location === undefined ? '' : safe(location.file, limits.name),
    test_code:
      hidden || check.expected === undefined ? '' : safe(`expect ${check.expected}`, limits.testCode),
    duration: 0,
  };
}

function exerciseTest(exercise: ExerciseResult): ClassroomTest {
  return {
    name: safe(exercise.id, 100),
    status: exercise.status,
    score: exercise.score,
    message: '',
    line_no: 0,
    filename: '',
    test_code: '',
    duration: exercise.durationMs,
  };
}

function describe(check: CheckResult): string {
  const parts = [check.message];
  if (check.actual !== undefined) parts.push(`actual: ${check.actual}`);
  if (check.hint !== undefined && check.hint !== '') parts.push(`hint: ${check.hint}`);
  return parts.join(' — ');
}

// One line, so nothing the reporter prints can start a line of its own. Only a window of the raw
// text is cleaned: a check's output can be megabytes, of which a few hundred characters are kept.
function safe(raw: string, maxChars: number): string {
  if (maxChars <= 0) return '';
  const window = raw.length > maxChars * 4 ? `${raw.slice(0, maxChars * 4)}…` : raw;
  // A zero-width space after @ keeps `@org/team` from notifying anyone wherever this is shown.
  return defangWorkflowCommands(truncateText(oneLine(stripUnsafe(window)), maxChars)).replace(
    /@(?=[A-Za-z0-9])/g,
    '@\u200b',
  );
}
