import { compare } from '../compare/compare';
import type { SourceLocation } from '../errors';
import type { CheckResult } from '../report/model';
import type { Failure } from '../run/context';
import type { CheckSpec, Matcher } from '../spec/types';
import type { Observation } from './check';

export const DEFAULT_POINTS = 1;

/** Compares every `expect` key with what was observed; all must hold for the points. */
export function evaluate(check: CheckSpec, observation: Observation, location?: SourceLocation): CheckResult {
  if ('failure' in observation) return failed(check, observation.failure, location);
  const mismatches = Object.entries(check.expect)
    .map(([field, matcher]) => ({ field, ...compare(observation.facts[field], matcher as Matcher) }))
    .filter((comparison) => !comparison.pass);
  if (mismatches.length === 0) {
    const maxPoints = check.points ?? DEFAULT_POINTS;
    return { name: check.name, status: 'pass', points: maxPoints, maxPoints, message: 'passed', location };
  }
  const only = mismatches.length === 1 ? mismatches[0] : undefined;
  return failed(
    check,
    {
      message: `${mismatches.map((mismatch) => mismatch.field).join(', ')} not as expected`,
      expected: only ? only.expected : mismatches.map((m) => `${m.field}: ${m.expected}`).join('\n'),
      actual: only ? only.actual : mismatches.map((m) => `${m.field}: ${m.actual}`).join('\n'),
    },
    location,
  );
}

export function failed(check: CheckSpec, failure: Failure, location?: SourceLocation): CheckResult {
  return {
    name: check.name,
    status: 'fail',
    points: 0,
    maxPoints: check.points ?? DEFAULT_POINTS,
    message: failure.message,
    expected: failure.expected,
    actual: failure.actual,
    hint: check.hint,
    location: failure.location ?? location,
  };
}
