// GitHub Classroom's reporter (classroom-resources/autograding-grading-reporter v1) on our
// `result` output. Its arithmetic is rewritten here from its documented and observed behaviour
// (src/notify-classroom.js, src/helpers/test-helpers.js at v1), not copied:
// - the grade: for every runner whose max_score is not 0, its max_score is added to the maximum
//   and each test's score to the total, one after the other, as floats starting from 0; it is
//   posted as the notice "Points <total>/<maximum>", which Classroom records;
// - its console's own total per runner: passed tests / all tests × max_score, whatever the
//   tests' scores (its issue #10).
import { describe, expect, it } from 'vitest';
import { type ClassroomResult, renderClassroom } from '../../../src/report/classroom';
import {
  type CheckResult,
  type CheckStatus,
  exerciseResult,
  type GradeReport,
  gradeReport,
} from '../../../src/report/model';

interface Runner {
  id: string;
  /** The step's `result` output, base64 JSON. */
  encoded: string;
}

/** The notice the reporter posts for Classroom, or undefined when it posts none. */
function reporterNotice(runners: Runner[]): string | undefined {
  let totalPoints = 0;
  let maxPoints = 0;
  for (const runner of runners) {
    const results = decode(runner.encoded);
    if (!results.max_score) continue;
    maxPoints += results.max_score;
    for (const test of results.tests) totalPoints += test.score;
  }
  if (!maxPoints) return undefined;
  return `Points ${totalPoints}/${maxPoints}`;
}

/** What the reporter's console prints as a runner's total (passed/all × max_score). */
function reporterConsoleTotal(encoded: string): string {
  const results = decode(encoded);
  const passed = results.tests.filter((test) => test.status === 'pass').length;
  const score = (passed / results.tests.length) * (results.max_score || 0);
  return `${score.toFixed(2)}/${results.max_score}`;
}

function decode(encoded: string): ClassroomResult {
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ClassroomResult;
}

function check(name: string, status: CheckStatus, points: number, maxPoints: number): CheckResult {
  return { name, status, points, maxPoints, message: status === 'pass' ? 'passed' : 'failed' };
}

function report(checks: CheckResult[][], infraError = false): GradeReport {
  return gradeReport(
    checks.map((list, index) =>
      exerciseResult({
        id: `lesson/exercise-${index}`,
        title: `Exercise ${index}`,
        specFile: `exercise-${index}.yaml`,
        durationMs: 1,
        checks: list,
        infraError,
      }),
    ),
    1,
  );
}

const REPORTS: Array<[string, GradeReport]> = [
  ['every check passes', report([[check('a', 'pass', 2, 2), check('b', 'pass', 3, 3)]])],
  [
    'some checks fail',
    report([[check('a', 'pass', 2, 2), check('b', 'fail', 0, 3)], [check('c', 'skipped', 0, 5)]]),
  ],
  [
    'partial credit in tenths and thirds',
    report([
      [check('a', 'fail', 0.1, 1), check('b', 'fail', 0.2, 1), check('c', 'fail', 0.33, 1)],
      [check('d', 'fail', 0.67, 2), check('e', 'pass', 1.5, 1.5), check('f', 'fail', 1.33, 2)],
    ]),
  ],
  ['many tenths', report([Array.from({ length: 30 }, (_, index) => check(`t${index}`, 'fail', 0.1, 1))])],
  [
    'hidden checks',
    report([
      [
        { ...check('secret pass', 'pass', 2, 2), hidden: true },
        { ...check('secret partial', 'fail', 0.7, 2), hidden: true },
        check('visible', 'pass', 0.1, 0.1),
      ],
    ]),
  ],
  ['a failing 0-point check', report([[check('a', 'pass', 1, 1), check('warn', 'fail', 0, 0)]])],
];

describe('the Classroom reporter on our result', () => {
  it.each(REPORTS)('%s: records exactly our score and max score', (_name, graded) => {
    const notice = reporterNotice([{ id: 'docker', encoded: renderClassroom(graded) }]);
    // The notice prints the float sum as JavaScript does: no 0.30000000000000004.
    expect(notice).toBe(`Points ${graded.score}/${graded.maxScore}`);
  });

  it.each(REPORTS)('%s: keeps each test score within a thousandth of its check', (_name, graded) => {
    const tests = decode(renderClassroom(graded)).tests;
    const points = graded.exercises.flatMap((exercise) => exercise.checks.map((check) => check.points));
    expect(tests).toHaveLength(points.length);
    tests.forEach((test, index) => {
      expect(Math.abs(test.score - (points[index] ?? Number.NaN))).toBeLessThan(0.001);
    });
  });

  it('adds our score to another runner before it', () => {
    const graded = REPORTS[2]?.[1];
    if (graded === undefined) throw new Error('fixture');
    const other = Buffer.from(
      JSON.stringify({
        version: 1,
        status: 'pass',
        max_score: 10,
        tests: [{ name: 'x', status: 'pass', score: 10 }],
      }),
    ).toString('base64');
    const notice = reporterNotice([
      { id: 'other', encoded: other },
      { id: 'docker', encoded: renderClassroom(graded) },
    ]);
    expect(notice).toBe(`Points ${10 + graded.score}/${10 + graded.maxScore}`);
  });

  it('records no grade at all when the engine failed', () => {
    const graded = report(
      [[check('a', 'pass', 2, 2), { ...check('b', 'error', 0, 3), message: 'engine down' }]],
      true,
    );
    expect(reporterNotice([{ id: 'docker', encoded: renderClassroom(graded) }])).toBeUndefined();
  });

  it("shows in its console a total that ignores the checks' points (its issue #10)", () => {
    // One check worth 1 of 10 points passes: Classroom records 1/10, the console says 5.00/10.
    const graded = report([[check('small', 'pass', 1, 1), check('big', 'fail', 0, 9)]]);
    const encoded = renderClassroom(graded);
    expect(reporterNotice([{ id: 'docker', encoded }])).toBe('Points 1/10');
    expect(reporterConsoleTotal(encoded)).toBe('5.00/10');
  });
});
