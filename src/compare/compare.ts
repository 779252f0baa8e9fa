// Comparators: does an observed value satisfy what the exercise expects? Pure; the result
// carries human-readable expected/actual texts for the report.
import type { Comparators, Matcher } from '../spec/types';

export interface Comparison {
  pass: boolean;
  /** What was expected, in words: `equals "OK"`, `contains "flask"`, `not (equals 1)`. */
  expected: string;
  /** The observed value as the student should see it. */
  actual: string;
}

export function compare(actual: unknown, matcher: Matcher): Comparison {
  return { pass: holds(actual, matcher), expected: describeMatcher(matcher), actual: formatValue(actual) };
}

function isComparators(matcher: Matcher): matcher is Comparators {
  return matcher !== null && typeof matcher === 'object' && !Array.isArray(matcher);
}

function holds(actual: unknown, matcher: Matcher): boolean {
  if (!isComparators(matcher)) return equals(actual, matcher);
  const results: boolean[] = [];
  if ('equals' in matcher) results.push(equals(actual, matcher.equals));
  if (matcher.contains !== undefined) results.push(contains(actual, matcher.contains));
  if (matcher.matches !== undefined) results.push(matches(actual, matcher.matches));
  if (matcher.not !== undefined) results.push(!holds(actual, matcher.not));
  return results.length > 0 && results.every(Boolean);
}

/** Text compares with line endings normalised and trailing newlines ignored: `echo OK` prints "OK\n". */
function normaliseText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
}

function equals(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    return normaliseText(actual) === normaliseText(expected);
  }
  return canonical(actual) === canonical(expected);
}

function contains(actual: unknown, expected: string | number | Array<string | number>): boolean {
  if (Array.isArray(actual)) {
    const wanted = Array.isArray(expected) ? expected : [expected];
    return wanted.every((item) => actual.some((element) => equals(element, item)));
  }
  if (typeof actual === 'string' || typeof actual === 'number') {
    const text = normaliseText(String(actual));
    const wanted = Array.isArray(expected) ? expected : [expected];
    return wanted.every((item) => text.includes(String(item)));
  }
  return false;
}

function matches(actual: unknown, pattern: string): boolean {
  const regex = new RegExp(pattern, 'm');
  if (Array.isArray(actual)) return actual.some((element) => regex.test(toText(element)));
  return actual !== undefined && actual !== null && regex.test(toText(actual));
}

function toText(value: unknown): string {
  return typeof value === 'string' ? value : canonical(value);
}

/** JSON with sorted object keys, so that key order never decides equality. */
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, inner: unknown) =>
      inner !== null && typeof inner === 'object' && !Array.isArray(inner)
        ? Object.fromEntries(
            Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
          )
        : inner,
    ) ?? 'undefined'
  );
}

export function describeMatcher(matcher: Matcher): string {
  if (!isComparators(matcher)) return `equals ${formatLiteral(matcher)}`;
  const parts: string[] = [];
  if ('equals' in matcher) parts.push(`equals ${formatLiteral(matcher.equals)}`);
  if (matcher.contains !== undefined) parts.push(`contains ${formatLiteral(matcher.contains)}`);
  if (matcher.matches !== undefined) parts.push(`matches /${matcher.matches}/`);
  if (matcher.not !== undefined) parts.push(`not (${describeMatcher(matcher.not)})`);
  return parts.join(' and ');
}

function formatLiteral(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

export function formatValue(value: unknown): string {
  if (value === undefined) return '(nothing)';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  return JSON.stringify(value);
}
