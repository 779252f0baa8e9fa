// What the checks' integration tests expect of a check that fails on one field: the message names
// the field, and the result shows its expected and actual values (beside check-tables.ts).
import type { CheckResult } from '../../src/report/model';
import { failed } from './check-tables';

/** A check failed on `field`: "<field> not as expected", with the expected and the actual. */
export function failedOn(field: string, expected: string, actual: string): Partial<CheckResult> {
  return failed(`${field} not as expected`, expected, actual);
}
