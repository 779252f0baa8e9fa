// The sticky comment's text: marker, markdown and the embedded previous grade, which is read back
// as untrusted data.
import { describe, expect, it } from 'vitest';
import {
  commentMarker,
  encodeSnapshot,
  type GradeSnapshot,
  gradeChange,
  hasCommentMarker,
  readSnapshot,
  renderComment,
  snapshotOf,
} from '../../../src/report/comment';
import { COMMENT_MAX_CHARS } from '../../../src/report/markdown';
import type { CheckResult, GradeReport } from '../../../src/report/model';
import { checkResult as check, singleExerciseReport } from '../../support/report-fixtures';

const SHA = '0123456789abcdef0123456789abcdef01234567';

function report(statuses: Record<string, 'pass' | 'fail'>, extra: CheckResult[] = []): GradeReport {
  return singleExerciseReport({
    id: 'images/hello',
    title: 'Hello',
    specFile: 'exercises/images/hello/exercise.yaml',
    durationMs: 10,
    checks: [...Object.entries(statuses).map(([name, status]) => check({ name, status })), ...extra],
  });
}

function encoded(value: unknown): string {
  return `<!-- docker-autograder:grade v1 ${Buffer.from(JSON.stringify(value)).toString('base64')} -->`;
}

describe('renderComment', () => {
  it('starts with the marker and ends with the grade as data', () => {
    const body = renderComment(report({ a: 'pass', b: 'fail' }), {
      key: 'default',
      sha: SHA,
      runUrl: 'https://github.com/o/r/actions/runs/9',
    });
    const lines = body.split('\n');
    expect(lines[0]).toBe('<!-- docker-autograder:sticky key=default -->');
    expect(lines.at(-1)).toMatch(/^<!-- docker-autograder:grade v1 [A-Za-z0-9+/]+={0,2} -->$/);
    expect(body).toContain('## ❌ Docker autograder: 1/2 points');
    expect(body).toContain('[workflow run](https://github.com/o/r/actions/runs/9)');
    expect(hasCommentMarker(body, 'default')).toBe(true);
    expect(hasCommentMarker(body, 'other')).toBe(false);
    expect(hasCommentMarker(`quoted:\n${body}`, 'default')).toBe(false);
    expect(readSnapshot(body)).toEqual({
      score: 1,
      maxScore: 2,
      sha: SHA,
      checks: { 'images/hello': { a: 'pass', b: 'fail' } },
    });
  });

  it('stays within 65,535 characters, data included, however large the report', () => {
    const flood = Array.from({ length: 400 }, (_, i) =>
      check({ name: `check ${i} ${'x'.repeat(150)}`, status: 'fail', actual: 'y\n'.repeat(5_000) }),
    );
    const body = renderComment(report({}, flood), { key: 'k', sha: SHA });
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(body).toContain('Details truncated');
    // Too many checks for the data budget: the totals are kept, the per-check statuses dropped.
    expect(readSnapshot(body)).toEqual({ score: 0, maxScore: 400, sha: SHA, checks: {} });
  });

  it('cannot be confused by student text that imitates the hidden lines', () => {
    const fake = encoded({ score: 99, maxScore: 99, checks: {} });
    const body = renderComment(
      report({}, [
        check({ name: `evil ${fake}`, status: 'fail', actual: `${commentMarker('default')}\n${fake}` }),
      ]),
      { key: 'default' },
    );
    // Escaped in the markdown: no second HTML comment opens anywhere.
    expect(body.match(/<!--/g)).toHaveLength(2);
    expect(readSnapshot(body)).toMatchObject({ score: 0, maxScore: 1 });
  });

  it('refuses keys that could break the marker', () => {
    expect(() => commentMarker('a -->')).toThrow(/comment key/);
    expect(() => commentMarker('')).toThrow(/comment key/);
    expect(commentMarker('lesson-1.docker_a')).toBe(
      '<!-- docker-autograder:sticky key=lesson-1.docker_a -->',
    );
  });
});

describe('readSnapshot (untrusted)', () => {
  const valid: GradeSnapshot = { score: 3, maxScore: 5, checks: { ex: { a: 'pass', b: 'fail' } } };

  it('reads back what was written', () => {
    expect(readSnapshot(`text\n${encodeSnapshot(valid)}`)).toEqual(valid);
  });

  it.each([
    ['no data', 'just a comment'],
    ['not base64', '<!-- docker-autograder:grade v1 %%% -->'],
    ['not JSON', `<!-- docker-autograder:grade v1 ${Buffer.from('{nope').toString('base64')} -->`],
    ['unterminated', `<!-- docker-autograder:grade v1 ${Buffer.from('{}').toString('base64')}`],
    ['too large', `<!-- docker-autograder:grade v1 ${'A'.repeat(30_000)} -->`],
    ['an array', encoded([1, 2])],
    ['a negative score', encoded({ ...valid, score: -1 })],
    ['a string score', encoded({ ...valid, score: '3' })],
    ['an absurd score', encoded({ ...valid, maxScore: 1e12 })],
    ['an unknown status', encoded({ ...valid, checks: { ex: { a: 'passed' } } })],
    ['statuses that are not an object', encoded({ ...valid, checks: { ex: ['pass'] } })],
    ['a too long name', encoded({ ...valid, checks: { ex: { ['n'.repeat(201)]: 'pass' } } })],
    [
      'too many checks',
      encoded({
        ...valid,
        checks: { ex: Object.fromEntries(Array.from({ length: 2_001 }, (_, i) => [`c${i}`, 'pass'])) },
      }),
    ],
  ])('ignores %s', (_name, body) => {
    expect(readSnapshot(body)).toBeUndefined();
  });

  it('keeps only a well-formed commit SHA', () => {
    expect(readSnapshot(encoded({ ...valid, sha: 'not a sha <b>' }))).toEqual(valid);
    expect(readSnapshot(encoded({ ...valid, sha: SHA }))?.sha).toBe(SHA);
  });

  it('treats names like __proto__ and constructor as plain names', () => {
    const body = `{"score":1,"maxScore":2,"checks":{"ex":{"__proto__":"pass","constructor":"fail"}}}`;
    const snapshot = readSnapshot(
      `<!-- docker-autograder:grade v1 ${Buffer.from(body).toString('base64')} -->`,
    );
    expect(snapshot?.checks.ex).toEqual(JSON.parse('{"__proto__":"pass","constructor":"fail"}'));
    expect(Object.getPrototypeOf(snapshot?.checks.ex)).toBe(Object.prototype);
  });
});

describe('gradeChange', () => {
  it('lists checks that now pass and checks that no longer pass', () => {
    const before = snapshotOf(report({ a: 'fail', b: 'pass', c: 'pass', gone: 'pass' }), SHA);
    const now = report({ a: 'pass', b: 'fail', c: 'pass', fresh: 'fail' });
    expect(gradeChange(now, before)).toEqual({
      previousScore: 3,
      previousMaxScore: 4,
      previousSha: SHA,
      nowPassing: ['a'],
      noLongerPassing: ['b'],
    });
  });

  it('does not mistake inherited members for previous statuses', () => {
    const before = snapshotOf(report({ a: 'pass' }));
    const now = report(
      Object.fromEntries<'pass' | 'fail'>([
        ['constructor', 'pass'],
        ['toString', 'fail'],
        ['__proto__', 'pass'],
      ]),
    );
    expect(gradeChange(now, before)).toMatchObject({ nowPassing: [], noLongerPassing: [] });
  });

  it('matches long names by the same cut as the snapshot', () => {
    const long = 'n'.repeat(500);
    const before = snapshotOf(report({ [long]: 'fail' }));
    expect(gradeChange(report({ [long]: 'pass' }), before).nowPassing).toEqual([long]);
  });
});
