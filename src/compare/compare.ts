// Comparators: does an observed value satisfy what the exercise expects? Pure; the result
// carries human-readable expected/actual texts (and, for text that differs, a line diff) for
// the report.
//
// Semantics, in short (the README's table is the user-facing version):
// - Text always compares with `\r\n` read as `\n` and trailing newlines dropped (`echo OK`
//   prints "OK\n"). `trim`, `ignoreWhitespace` (runs of whitespace become one space, then
//   trimmed) and `ignoreCase` further normalise both sides of equals / contains / includes /
//   oneOf and the observed side of matches / inOrder (ignoreCase there is the regex's `i`
//   flag). Options given on a matcher also apply inside its `not`.
// - Lists and objects compare deeply; object key order never matters; a string never equals
//   a number.
// - min / max: a number fact compares as is; a bound like "50MB" becomes bytes and "30s"
//   milliseconds (the unit of size and duration facts). A list compares its length. Text that
//   is a plain decimal number (e.g. stdout "3\n") compares as that number, other text by its
//   length in characters.
// - json: a text fact is parsed as JSON (unparseable text does not match); the expected value
//   is a subset: objects may have more keys, and each expected list item must match some item.
// - sha256: hex SHA-256 of the text after the normalisation above (a non-text fact: of its JSON).
import { createHash } from 'node:crypto';
import { isRecord } from '../shared/records';
import type { Comparators, Matcher, SizeOrNumber } from '../spec/types';
import { lineDiff } from './diff';
import { formatBytes, parseQuantity } from './units';

export interface Comparison {
  pass: boolean;
  /** What was expected, in words: `equals "OK"`, `contains "flask" (ignoring case)`, `at least 2`. */
  expected: string;
  /** The observed value as the student should see it. */
  actual: string;
  /** For multi-line text that `equals` rejected: a unified line diff, expected -> actual. */
  diff?: string;
  /** The line (1-based) of the observed file where the difference is, when the fact knows it. */
  line?: number;
}

interface TextOptions {
  ignoreCase: boolean;
  ignoreWhitespace: boolean;
  trim: boolean;
}

const NO_OPTIONS: TextOptions = { ignoreCase: false, ignoreWhitespace: false, trim: false };

/**
 * A fact that needs knowledge of its own domain to be compared (a Dockerfile's instructions,
 * judged by what they do), so it compares itself with the expectation it is given.
 */
export interface SelfComparingFact {
  compareWith(matcher: Matcher): Comparison;
}

export function isSelfComparing(value: unknown): value is SelfComparingFact {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<SelfComparingFact>).compareWith === 'function'
  );
}

/** `label` (e.g. the fact's name) goes into the diff's header lines. */
export function compare(actual: unknown, matcher: Matcher, label?: string): Comparison {
  if (isSelfComparing(actual)) return actual.compareWith(matcher);
  const pass = holds(actual, matcher, NO_OPTIONS);
  const comparison: Comparison = {
    pass,
    expected: describeMatcher(matcher),
    actual: describeActual(actual, matcher),
  };
  if (!pass) {
    const diff = equalsDiff(actual, matcher, label);
    if (diff !== undefined) comparison.diff = diff;
  }
  return comparison;
}

function isComparators(matcher: Matcher): matcher is Comparators {
  return matcher !== null && typeof matcher === 'object' && !Array.isArray(matcher);
}

function optionsOf(matcher: Comparators, inherited: TextOptions): TextOptions {
  return {
    ignoreCase: matcher.ignoreCase ?? inherited.ignoreCase,
    ignoreWhitespace: matcher.ignoreWhitespace ?? inherited.ignoreWhitespace,
    trim: matcher.trim ?? inherited.trim,
  };
}

function holds(actual: unknown, matcher: Matcher, inherited: TextOptions): boolean {
  if (!isComparators(matcher)) return deepEqual(actual, matcher, inherited);
  const options = optionsOf(matcher, inherited);
  const results: boolean[] = [];
  if ('equals' in matcher) results.push(deepEqual(actual, matcher.equals, options));
  if (matcher.contains !== undefined) results.push(contains(actual, matcher.contains, options));
  if (matcher.includes !== undefined) results.push(includes(actual, matcher.includes, options));
  if (matcher.matches !== undefined) results.push(matches(actual, matcher.matches, options));
  if (matcher.inOrder !== undefined) results.push(inOrder(actual, matcher.inOrder, options));
  if (matcher.oneOf !== undefined) {
    results.push(matcher.oneOf.some((candidate) => deepEqual(actual, candidate, options)));
  }
  if (matcher.min !== undefined) results.push(bounded(actual, matcher.min, options, (a, b) => a >= b));
  if (matcher.max !== undefined) results.push(bounded(actual, matcher.max, options, (a, b) => a <= b));
  if ('json' in matcher) results.push(jsonContains(actual, matcher.json));
  if (matcher.sha256 !== undefined) results.push(sha256Of(actual, options) === matcher.sha256.toLowerCase());
  if (matcher.not !== undefined) results.push(!holds(actual, matcher.not, options));
  // A matcher of options alone asserts nothing, and nothing asserted is not a pass.
  return results.length > 0 && results.every(Boolean);
}

/** Line endings normalised and trailing newlines ignored: `echo OK` prints "OK\n". */
function normaliseText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
}

/** Text as it is compared under the options; case is left alone where a regex flag handles it. */
function prepare(text: string, options: TextOptions, foldCase = options.ignoreCase): string {
  let prepared = normaliseText(text);
  if (options.ignoreWhitespace) prepared = prepared.replace(/\s+/g, ' ').trim();
  else if (options.trim) prepared = prepared.trim();
  return foldCase ? prepared.toLowerCase() : prepared;
}

function deepEqual(actual: unknown, expected: unknown, options: TextOptions): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    return prepare(actual, options) === prepare(expected, options);
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return (
      actual.length === expected.length &&
      actual.every((item, index) => deepEqual(item, expected[index], options))
    );
  }
  if (isRecord(actual) && isRecord(expected)) {
    const keys = Object.keys(actual);
    return (
      keys.length === Object.keys(expected).length &&
      keys.every((key) => Object.hasOwn(expected, key) && deepEqual(actual[key], expected[key], options))
    );
  }
  return canonical(actual) === canonical(expected);
}

function contains(actual: unknown, expected: Comparators['contains'], options: TextOptions): boolean {
  const wanted: unknown[] = Array.isArray(expected) ? expected : [expected];
  if (Array.isArray(actual)) return hasEvery(actual, wanted, options);
  if (typeof actual === 'string' || typeof actual === 'number') {
    const text = prepare(String(actual), options);
    return wanted.every((item) => text.includes(prepare(String(item), options)));
  }
  return false;
}

/** Like `contains` on a list, and only on a list: `includes` never does substring matching. */
function includes(actual: unknown, expected: unknown, options: TextOptions): boolean {
  const wanted: unknown[] = Array.isArray(expected) ? expected : [expected];
  return Array.isArray(actual) && hasEvery(actual, wanted, options);
}

function hasEvery(list: unknown[], wanted: unknown[], options: TextOptions): boolean {
  return wanted.every((item) => list.some((element) => deepEqual(element, item, options)));
}

function regexOf(pattern: string, options: TextOptions): RegExp {
  return new RegExp(pattern, options.ignoreCase ? 'mi' : 'm');
}

function regexText(value: unknown, options: TextOptions): string {
  return typeof value === 'string' ? prepare(value, options, false) : canonical(value);
}

function matches(actual: unknown, pattern: string, options: TextOptions): boolean {
  const regex = regexOf(pattern, options);
  if (Array.isArray(actual)) return actual.some((element) => regex.test(regexText(element, options)));
  return actual !== undefined && actual !== null && regex.test(regexText(actual, options));
}

/** A list's items, or a text's lines, matching the patterns in this order (not necessarily adjacent). */
function inOrder(actual: unknown, patterns: string[], options: TextOptions): boolean {
  let items: string[];
  if (Array.isArray(actual)) items = actual.map((item) => regexText(item, options));
  else if (typeof actual === 'string')
    items = normaliseText(actual)
      .split('\n')
      .map((line) => regexText(line, options));
  else return false;
  let next = 0;
  for (const pattern of patterns) {
    const regex = regexOf(pattern, options);
    const found = items.findIndex((item, index) => index >= next && regex.test(item));
    if (found < 0) return false;
    next = found + 1;
  }
  return true;
}

const DECIMAL = /^[+-]?[0-9]+(?:\.[0-9]+)?$/;

/** The number min/max compare: the value itself, a list's length, a numeric text's number, a text's length. */
function measure(actual: unknown, options: TextOptions): number | undefined {
  if (typeof actual === 'number') return actual;
  if (Array.isArray(actual)) return actual.length;
  if (typeof actual === 'string') {
    const trimmed = actual.trim();
    return DECIMAL.test(trimmed) ? Number(trimmed) : prepare(actual, options).length;
  }
  return undefined;
}

function bounded(
  actual: unknown,
  bound: SizeOrNumber,
  options: TextOptions,
  within: (value: number, limit: number) => boolean,
): boolean {
  const value = measure(actual, options);
  return value !== undefined && within(value, parseQuantity(bound).value);
}

function jsonContains(actual: unknown, expected: unknown): boolean {
  let value = actual;
  if (typeof actual === 'string') {
    try {
      value = JSON.parse(actual);
    } catch {
      return false;
    }
  }
  return subset(value, expected);
}

function subset(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.every((item) => actual.some((element) => subset(element, item)));
  }
  if (isRecord(expected)) {
    return (
      isRecord(actual) &&
      Object.entries(expected).every(
        ([key, value]) => Object.hasOwn(actual, key) && subset(actual[key], value),
      )
    );
  }
  return actual === expected;
}

function sha256Of(actual: unknown, options: TextOptions): string | undefined {
  if (actual === undefined || actual === null) return undefined;
  const text = typeof actual === 'string' ? prepare(actual, options) : canonical(actual);
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** JSON with sorted object keys, so that key order never decides equality. */
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, inner: unknown) =>
      isRecord(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
        : inner,
    ) ?? 'undefined'
  );
}

export function describeMatcher(matcher: Matcher): string {
  if (!isComparators(matcher)) return `equals ${formatLiteral(matcher)}`;
  const parts: string[] = [];
  if ('equals' in matcher) parts.push(`equals ${formatLiteral(matcher.equals)}`);
  if (matcher.contains !== undefined) parts.push(`contains ${formatLiteral(matcher.contains)}`);
  if (matcher.includes !== undefined) parts.push(`includes ${formatLiteral(matcher.includes)}`);
  if (matcher.matches !== undefined) parts.push(`matches /${matcher.matches}/`);
  if (matcher.inOrder !== undefined) {
    parts.push(`has, in this order, ${matcher.inOrder.map((pattern) => `/${pattern}/`).join(', ')}`);
  }
  if (matcher.oneOf !== undefined) parts.push(`one of ${matcher.oneOf.map(formatLiteral).join(', ')}`);
  if (matcher.min !== undefined) parts.push(`at least ${matcher.min}`);
  if (matcher.max !== undefined) parts.push(`at most ${matcher.max}`);
  if ('json' in matcher) parts.push(`JSON containing ${formatLiteral(matcher.json)}`);
  // The full hash says nothing to a student; its start is enough to tell two specs apart.
  if (matcher.sha256 !== undefined) parts.push(`has SHA-256 ${matcher.sha256.slice(0, 12)}…`);
  if (matcher.not !== undefined) parts.push(`not (${describeMatcher(matcher.not)})`);
  const description = parts.length > 0 ? parts.join(' and ') : 'nothing';
  const options = describeOptions(matcher);
  return options === '' ? description : `${description} (${options})`;
}

function describeOptions(matcher: Comparators): string {
  const ignoring: string[] = [];
  if (matcher.ignoreCase === true) ignoring.push('case');
  if (matcher.ignoreWhitespace === true) ignoring.push('whitespace');
  const parts = ignoring.length > 0 ? [`ignoring ${ignoring.join(' and ')}`] : [];
  // ignoreWhitespace trims already; saying so twice is noise.
  if (matcher.trim === true && matcher.ignoreWhitespace !== true) parts.push('trimmed');
  return parts.join(', ');
}

function formatLiteral(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

export function formatValue(value: unknown): string {
  if (value === undefined) return '(nothing)';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  return JSON.stringify(value);
}

/** The observed value, with the length min/max compared when that is not visible at a glance. */
function describeActual(actual: unknown, matcher: Matcher): string {
  const shown = formatValue(actual);
  if (!isComparators(matcher) || (matcher.min === undefined && matcher.max === undefined)) return shown;
  // A size bound (`max: 300MB`) compares bytes: shown in the bound's units, not as 301551882.
  const sizeBound = [matcher.min, matcher.max].find((bound) => bound !== undefined && isSize(bound));
  if (typeof actual === 'number' && sizeBound !== undefined) {
    return formatBytes(actual, /i[bB]$/.test(String(sizeBound).trim()) ? 'binary' : 'decimal');
  }
  if (Array.isArray(actual)) return `${shown} (${actual.length} ${actual.length === 1 ? 'item' : 'items'})`;
  if (typeof actual === 'string' && !DECIMAL.test(actual.trim())) {
    const length = prepare(actual, optionsOf(matcher, NO_OPTIONS)).length;
    return `${shown} (${length} ${length === 1 ? 'character' : 'characters'})`;
  }
  return shown;
}

/** A line diff when `equals` rejected multi-line text. Not under ignoreCase: it would flag case-only changes. */
function equalsDiff(actual: unknown, matcher: Matcher, label: string | undefined): string | undefined {
  const expected = isComparators(matcher) ? matcher.equals : matcher;
  if (typeof actual !== 'string' || typeof expected !== 'string') return undefined;
  const options = isComparators(matcher) ? optionsOf(matcher, NO_OPTIONS) : NO_OPTIONS;
  if (options.ignoreCase) return undefined;
  const want = prepare(expected, options);
  const got = prepare(actual, options);
  if (!want.includes('\n') && !got.includes('\n')) return undefined;
  return lineDiff(want, got, label);
}

function isSize(bound: SizeOrNumber): boolean {
  try {
    return parseQuantity(bound).kind === 'bytes';
  } catch {
    return false;
  }
}
