// Tables of what a test expects of check results, for the checks' integration tests: one test a
// row, each naming the checks it looks at and what their results must match.
import { expect, it } from 'vitest';
import type { CheckResult } from '../../src/report/model';
import { check, type Graded, summary } from './inline-grading';

/** What a test expects of checks' results, by check name. */
export type CheckExpectations = Record<string, Partial<CheckResult>>;

export const passed: Partial<CheckResult> = { status: 'pass' };

/** A failed check: its message, and the expected and actual it shows (when given). */
export function failed(message: string, expected?: string, actual?: string): Partial<CheckResult> {
  return {
    status: 'fail',
    message,
    ...(expected === undefined ? {} : { expected }),
    ...(actual === undefined ? {} : { actual }),
  };
}

/** A check failed on `field`: "<field> not as expected", with the expected and the actual. */
export function failedOn(field: string, expected: string, actual: string): Partial<CheckResult> {
  return failed(`${field} not as expected`, expected, actual);
}

/** One test a row, by its title: each named check's result matches what the row expects. */
export function itFindsChecks(graded: () => Graded, rows: Array<[title: string, CheckExpectations]>): void {
  it.each(rows)('%s', (_title, expectations) => {
    for (const [name, expected] of Object.entries(expectations)) {
      expect(check(graded(), name), summary(graded())).toMatchObject(expected);
    }
  });
}
