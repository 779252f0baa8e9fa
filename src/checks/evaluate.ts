// Scoring one check: its observation against its `expect`.
//
// - Each `expect` key is one expectation, except the matcher maps (headers, labels, answers),
//   where each key of the map is one, named `headers.content-type` in messages.
// - All expectations hold: status pass, full points. Otherwise status fail with 0 points, or,
//   with `partial: true`, points × held / expectations (rounded to 0.01). A partial score is
//   still a fail: only a check whose every expectation holds passes.
// - An observation that failed (nothing to compare) is a fail with 0 points, partial or not.
// - `visibility: hidden` sets `hidden` on whatever result the check gets; scoring is unchanged.
// - A failed expectation points at the fact's own location when the observation gives one
//   (e.g. the Dockerfile's CMD line), else at the check in the exercise file.
import { compare } from '../compare/compare';
import type { CheckResult } from '../report/model';
import type { Failure } from '../run/context';
import { machineName } from '../run/machines';
import { InfraError, type SourceLocation } from '../shared/errors';
import { isRecord } from '../shared/records';
import type { CheckSpec, Matcher } from '../spec/types';
import type { Observation } from './check';

export const DEFAULT_POINTS = 1;

/** `expect` keys whose value maps keys (header names, labels, questions) to matchers. */
const MATCHER_MAP_FIELDS = new Set(['headers', 'labels', 'answers']);

/**
 * The instructor's setup is incomplete (e.g. a secret is missing): the check's status is
 * `error`, the run exits 3, and grading of the other checks goes on, so that one run shows
 * every such problem. An InfraError, so that callers that do not know it still never turn it
 * into a 0.
 */
export class CheckConfigError extends InfraError {
  override name = 'CheckConfigError';
}

interface Expectation {
  /** `status`, or `headers.content-type` for a key of a matcher map. */
  label: string;
  field: string;
  key?: string;
  matcher: Matcher;
}

/** What a check expects, one entry per assertion. A `protected` check expects its pinned hash. */
export function expectationsOf(check: CheckSpec): Expectation[] {
  if (check.protected !== undefined) {
    return [{ label: 'sha256', field: 'sha256', matcher: check.protected.sha256 }];
  }
  const expectations: Expectation[] = [];
  for (const [field, value] of Object.entries(check.expect ?? {})) {
    if (MATCHER_MAP_FIELDS.has(field) && isRecord(value)) {
      for (const [key, matcher] of Object.entries(value)) {
        expectations.push({ label: `${field}.${key}`, field, key, matcher: matcher as Matcher });
      }
    } else {
      expectations.push({ label: field, field, matcher: value as Matcher });
    }
  }
  return expectations;
}

export function maxPointsOf(check: CheckSpec): number {
  return check.points ?? DEFAULT_POINTS;
}

export function evaluate(check: CheckSpec, observation: Observation, location?: SourceLocation): CheckResult {
  if ('failure' in observation) return failed(check, observation.failure, location);
  const { facts, locations, note } = observation;
  const outcomes = expectationsOf(check).map((expectation) => {
    const actual = factOf(facts, expectation);
    const comparison = compare(actual, expectation.matcher, expectation.label);
    const shown = presentation(check, facts, expectation);
    const factLocation =
      (expectation.key === undefined ? undefined : locations?.[expectation.label]) ??
      locations?.[expectation.field];
    return {
      ...expectation,
      ...comparison,
      ...shown,
      // The comparison may know the very line (the instruction out of order), finer than the fact's.
      location:
        factLocation !== undefined && comparison.line !== undefined
          ? { file: factLocation.file, line: comparison.line, column: 1 }
          : factLocation,
    };
  });
  const misses = outcomes.filter((outcome) => !outcome.pass);
  const maxPoints = maxPointsOf(check);
  if (misses.length === 0) {
    return withHidden(check, {
      name: check.name,
      status: 'pass',
      points: maxPoints,
      maxPoints,
      message: 'passed',
      location,
    });
  }
  const held = outcomes.length - misses.length;
  const points = check.partial === true ? roundPoints((maxPoints * held) / outcomes.length) : 0;
  const only = misses.length === 1 ? misses[0] : undefined;
  const diffs = misses.flatMap((miss) => (miss.diff === undefined ? [] : [miss.diff]));
  const names = misses.map((miss) => miss.label).join(', ');
  const tally = check.partial === true ? ` (${held} of ${outcomes.length} held)` : '';
  const missing = facts.exists === false && misses.some((miss) => miss.field !== 'exists');
  const message =
    check.protected !== undefined
      ? `${check.protected.file} was changed: it must stay as it was given`
      : `${names} not as expected${tally}${missing ? `: ${subjectOf(check)} does not exist` : ''}${note === undefined ? '' : `; ${note}`}`;
  return withHidden(check, {
    name: check.name,
    status: 'fail',
    points,
    maxPoints,
    message,
    expected: only ? only.expected : misses.map((miss) => labelled(miss.label, miss.expected)).join('\n'),
    actual: only ? only.actual : misses.map((miss) => labelled(miss.label, miss.actual)).join('\n'),
    ...(diffs.length > 0 ? { diff: diffs.join('\n') } : {}),
    hint: check.hint,
    location: misses.find((miss) => miss.location !== undefined)?.location ?? location,
  });
}

export function failed(check: CheckSpec, failure: Failure, location?: SourceLocation): CheckResult {
  return withHidden(check, {
    name: check.name,
    status: 'fail',
    points: 0,
    maxPoints: maxPointsOf(check),
    message: failure.message,
    expected: failure.expected,
    actual: failure.actual,
    hint: check.hint,
    location: failure.location ?? location,
  });
}

/** Not run because an earlier `required: true` check did not pass; its points still count as possible. */
export function skipped(check: CheckSpec, requiredName: string, location?: SourceLocation): CheckResult {
  return withHidden(check, {
    name: check.name,
    status: 'skipped',
    points: 0,
    maxPoints: maxPointsOf(check),
    message: `skipped: the required check "${requiredName}" did not pass`,
    location,
  });
}

/** The grader could not judge the check (its setup is wrong, or the engine broke). */
export function errored(check: CheckSpec, message: string, location?: SourceLocation): CheckResult {
  return withHidden(check, {
    name: check.name,
    status: 'error',
    points: 0,
    maxPoints: maxPointsOf(check),
    message,
    location,
  });
}

function withHidden(check: CheckSpec, result: CheckResult): CheckResult {
  return check.visibility === 'hidden' ? { ...result, hidden: true } : result;
}

function factOf(facts: Record<string, unknown>, expectation: Expectation): unknown {
  const value = facts[expectation.field];
  if (expectation.key === undefined) return value;
  if (!isRecord(value)) return undefined;
  if (Object.hasOwn(value, expectation.key)) return value[expectation.key];
  // HTTP header names are case-insensitive; labels and questions are not.
  if (expectation.field !== 'headers') return undefined;
  const wanted = expectation.key.toLowerCase();
  const found = Object.keys(value).find((name) => name.toLowerCase() === wanted);
  return found === undefined ? undefined : value[found];
}

/**
 * How an expectation is shown when its compared fact means nothing to a student: a quiz
 * compares keyed hashes, so it shows the student's own (normalised) answer instead, and never
 * the expected hash.
 */
function presentation(
  check: CheckSpec,
  facts: Record<string, unknown>,
  expectation: Expectation,
): { expected?: string; actual?: string } {
  if (check.answers === undefined || expectation.field !== 'answers' || expectation.key === undefined)
    return {};
  const submitted = facts.submitted;
  const answer = isRecord(submitted) ? submitted[expectation.key] : undefined;
  return {
    expected: 'the expected answer (not shown)',
    actual: typeof answer === 'string' ? (answer === '' ? '(empty answer)' : answer) : '(no answer)',
  };
}

/** What a check observes, for "… does not exist" (kinds whose facts include `exists`). */
function subjectOf(check: CheckSpec): string {
  if (check.image !== undefined) return `the image "${check.image.name}"`;
  if (check.container !== undefined) {
    const on = check.container.machine === undefined ? '' : ` on ${machineName(check.container.machine)}`;
    return `the container "${check.container.name}"${on}`;
  }
  if (check.network !== undefined) return `the network "${check.network.name}"`;
  if (check.volume !== undefined) return `the volume "${check.volume.name}"`;
  if (check.file !== undefined) return `the file ${check.file.path}`;
  return 'it';
}

/** `field: value`, with the value's further lines indented so that each stays under its label. */
function labelled(label: string, text: string): string {
  const [first = '', ...rest] = text.split('\n');
  return [`${label}: ${first}`, ...rest.map((line) => (line === '' ? '' : `  ${line}`))].join('\n');
}

function roundPoints(points: number): number {
  return Math.round(points * 100) / 100;
}
