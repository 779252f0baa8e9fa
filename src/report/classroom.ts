// The action's `result` output in GitHub Classroom's grader format, as read by
// classroom-resources/autograding-grading-reporter: base64 of
// {"version":1,"status","max_score","tests":[{"name","status","score","message","line_no",
// "filename","test_code","duration"}]}.
//
// What the reporter (v1) does with it, read from its source:
// - It adds up every test's `score` (for runners whose `max_score` is not 0) and posts the sum as
//   a notice, "Points <sum>/<max_score>", which is the grade Classroom records. The sum is a
//   plain float sum: tests' scores are chosen so that it comes out as exactly our score, since
//   Classroom's grade export records 0 for a total such as 3.0000000000000004 (gh-classroom#83).
// - Its console total ignores scores: passed tests / all tests × max_score (its issue #10).
// - For each test it prints `✅`/`❌` name (with " - line N" when `line_no` is not 0), then
//   `test_code` when set; `message` only for a test with status `error`. So a failed check's
//   message, expected vs actual and hint go in `test_code`, and `line_no` is 0 unless the
//   location is in the student's own file.
// It prints all this straight to its step's log, outside any stop-commands block, and Classroom
// reads the grade from a notice in that log: a student's text that became a workflow command
// there could forge the grade. Every string is stripped, defanged and capped here, every line
// of a multi-line text included, and hidden checks carry no details.
import type { CheckResult, CheckStatus, ExerciseResult, GradeReport } from './model';
import { hasInfraError } from './model';
import { defangStripped, firstLines, stripUnsafe, truncateText } from './sanitize';

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
  { name: 200, message: 1_000, testCode: 3_000 },
  { name: 200, message: 200, testCode: 500 },
  { name: 100, message: 100, testCode: 0 },
  { name: 40, message: 0, testCode: 0 },
];
const DEFAULT_LIMITS: Limits = { name: 200, message: 1_000, testCode: 3_000 };
/** Lines of one value (expected, actual) in `test_code`. */
const VALUE_LINES = 15;
/** Characters of a check's message in `test_code`. */
const MESSAGE_CHARS = 1_000;
/** Characters of one value (expected, actual, hint) in `test_code`. */
const VALUE_CHARS = 800;
// GitHub allows 1 MB of outputs per job; base64 grows the JSON by a third.
export const MAX_RESULT_CHARS = 600_000;

const STATUS: Record<CheckStatus, ClassroomStatus> = {
  pass: 'pass',
  fail: 'fail',
  // A check that could not run earns nothing; for the reporter that is a failed test.
  skipped: 'fail',
  error: 'error',
};

export function classroomResult(
  report: GradeReport,
  limits: Limits = DEFAULT_LIMITS,
  cleaner = new Cleaner(),
): ClassroomResult {
  const infraError = hasInfraError(report);
  return {
    version: 1,
    status: report.passed ? 'pass' : infraError ? 'error' : 'fail',
    // The reporter adds up the tests' scores whatever the status, and records nothing when
    // max_score is 0: an engine failure must not reach Classroom as a (low) grade.
    max_score: infraError ? 0 : report.maxScore,
    tests: withExactSum(
      report.exercises.flatMap((exercise) =>
        exercise.checks.map((check) => classroomTest(exercise, check, limits, cleaner)),
      ),
      report.score,
    ),
  };
}

/** The `result` output: base64 JSON, shortened until it fits MAX_RESULT_CHARS. */
export function renderClassroom(report: GradeReport): string {
  const encode = (result: ClassroomResult): string =>
    Buffer.from(JSON.stringify(result), 'utf8').toString('base64');
  const cleaner = new Cleaner();
  for (const limits of LIMITS) {
    const encoded = encode(classroomResult(report, limits, cleaner));
    if (encoded.length <= MAX_RESULT_CHARS) return encoded;
  }
  return encode({
    ...classroomResult(report, DEFAULT_LIMITS, cleaner),
    tests: withExactSum(
      report.exercises.map((exercise) => exerciseTest(exercise, cleaner)),
      report.score,
    ),
  });
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
        message: safe(new Cleaner().line(reason), DEFAULT_LIMITS.message),
        line_no: 0,
        filename: '',
        test_code: '',
        duration: 0,
      },
    ],
  };
  return Buffer.from(JSON.stringify(result), 'utf8').toString('base64');
}

function classroomTest(
  exercise: ExerciseResult,
  check: CheckResult,
  limits: Limits,
  cleaner: Cleaner,
): ClassroomTest {
  const hidden = check.hidden === true;
  // `location` is only ever in the student's own files (the spec's is `specLocation`).
  const location = hidden ? undefined : check.location;
  const details = !hidden && limits.testCode > 0 && (check.status === 'fail' || check.status === 'skipped');
  return {
    name: safe(cleaner.line(`${exercise.id}: ${check.name}`), limits.name),
    status: STATUS[check.status],
    score: check.points,
    message: hidden || check.status === 'pass' ? '' : safe(cleaner.line(check.message), limits.message),
    line_no: location?.line ?? 0,
    filename: location === undefined ? '' : safe(cleaner.line(location.file), limits.name),
    test_code: details ? safe(cleaner.details(exercise, check), limits.testCode) : '',
    duration: 0,
  };
}

/**
 * What a student needs to fix a failed check, as the reporter prints it under "Test code:".
 * A check that failed only because the setup did carries the setup's failure instead.
 */
function failureText(exercise: ExerciseResult, check: CheckResult, cleaner: Cleaner): string {
  const value = (label: string, raw: string | undefined): string[] => {
    if (raw === undefined || raw === '') return [];
    const [first = '', ...rest] = truncateText(cleaner.block(raw), VALUE_CHARS).split('\n');
    return [`${label}: ${first}`, ...rest.map((line) => `  ${line}`)];
  };
  const lines = [truncateText(cleaner.line(check.message), MESSAGE_CHARS)];
  if (check.causedBySetup === true) {
    lines.push(...value('setup error', exercise.setupError), ...value('first error', exercise.firstError));
    return lines.join('\n');
  }
  if (check.status === 'skipped') return lines.join('\n');
  lines.push(
    ...value('first error', check.firstError),
    ...value('expected', check.expected),
    ...value('actual', check.actual),
    ...value('hint', check.hint),
  );
  if (check.location !== undefined)
    lines.push(`at: ${cleaner.line(check.location.file)}:${check.location.line}`);
  return lines.join('\n');
}

/**
 * The tests with scores whose running float sum, as the reporter adds them up from 0, is
 * exactly `total`: 0.1 + 0.2 is 0.30000000000000004 in floating point, and Classroom's export
 * records 0 for such a total. Only the last scoring test absorbs the rounding (by far less than
 * a thousandth of a point); the reporter prints no test's own score.
 */
export function withExactSum(tests: ClassroomTest[], total: number): ClassroomTest[] {
  const sumOf = (list: ClassroomTest[]): number => list.reduce((sum, test) => sum + test.score, 0);
  if (sumOf(tests) === total) return tests;
  let last = tests.length - 1;
  while (last >= 0 && tests[last]?.score === 0) last -= 1;
  if (last < 0) return tests;
  const before = sumOf(tests.slice(0, last));
  let score = total - before;
  // Float subtraction can miss by one unit in the last place; step towards the total.
  for (let attempt = 0; attempt < 4 && before + score !== total; attempt += 1) {
    score = before + score < total ? nextUp(score) : nextDown(score);
  }
  if (before + score !== total) return tests;
  return tests.map((test, index) => (index === last ? { ...test, score } : test));
}

function nextUp(value: number): number {
  return stepUlp(value, 1);
}

function nextDown(value: number): number {
  return stepUlp(value, -1);
}

/** The neighbouring double of a positive or negative finite number, in the given direction. */
function stepUlp(value: number, direction: 1 | -1): number {
  if (value === 0) return direction * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigInt64(0);
  const away = value > 0 === direction > 0;
  view.setBigInt64(0, away ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

function exerciseTest(exercise: ExerciseResult, cleaner: Cleaner): ClassroomTest {
  return {
    name: safe(cleaner.line(exercise.id), 100),
    status: exercise.status,
    score: exercise.score,
    message: '',
    line_no: 0,
    filename: '',
    test_code: '',
    duration: exercise.durationMs,
  };
}

/**
 * Cleans each raw text once, whatever the size tried: stripping is the costly part, and a
 * check's output can be megabytes, so only a window of it (larger than any size kept) is
 * cleaned. The results are stripped, not yet capped or defanged (safe() does both).
 */
class Cleaner {
  private readonly lines = new Map<string, string>();
  private readonly blocks = new Map<string, string>();
  private readonly detailsOf = new Map<CheckResult, string>();

  /** One line, so nothing the reporter prints can start a line of its own. */
  line(raw: string): string {
    let clean = this.lines.get(raw);
    if (clean === undefined) {
      clean = stripUnsafe(rawHead(raw, CLEAN_WINDOW)).replace(/[\n\t]+/g, ' ');
      this.lines.set(raw, clean);
    }
    return clean;
  }

  /** The first VALUE_LINES lines; cleaning can make more lines (a bare CR), so cut again. */
  block(raw: string): string {
    let clean = this.blocks.get(raw);
    if (clean === undefined) {
      const shown = firstLines(rawHead(raw, CLEAN_WINDOW).replace(/\n+$/, ''), VALUE_LINES);
      clean = firstLines(stripUnsafe(shown), VALUE_LINES);
      this.blocks.set(raw, clean);
    }
    return clean;
  }

  details(exercise: ExerciseResult, check: CheckResult): string {
    let text = this.detailsOf.get(check);
    if (text === undefined) {
      text = failureText(exercise, check, this);
      this.detailsOf.set(check, text);
    }
    return text;
  }
}

/** Characters of a raw text cleaned: twice the most kept, as stripped escapes make it shorter. */
const CLEAN_WINDOW =
  2 * Math.max(...LIMITS.flatMap((limits) => [limits.name, limits.message, limits.testCode]));

// Capped, then defanged: a visible "» " goes before every line the runner would read as a
// command, wherever the line starts.
function safe(stripped: string, maxChars: number): string {
  if (maxChars <= 0) return '';
  return noMentions(defangStripped(truncateText(stripped, maxChars)));
}

function rawHead(raw: string, maxChars: number): string {
  return raw.length > maxChars ? `${raw.slice(0, maxChars)}…` : raw;
}

// A zero-width space after @ keeps `@org/team` from notifying anyone wherever this is shown.
function noMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
}
