import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type GradebookRow,
  gradebookOf,
  mergeGradebooks,
  parseGradebook,
  renderGradebookCsv,
  renderGradebookJson,
} from '../../../src/class/gradebook';
import { findStudents, parseShard, regrade, type Student, shardOf } from '../../../src/class/regrade';
import type { GradeReport } from '../../../src/report/model';
import { mapBounded } from '../../../src/shared/concurrency';
import { singleExerciseReport } from '../../support/report-fixtures';
import { tempDirPerTest } from '../../support/temp-dir';

function row(
  student: string,
  exercise: string,
  score: number,
  overrides: Partial<GradebookRow> = {},
): GradebookRow {
  return {
    student,
    exercise,
    score,
    maxScore: 10,
    status: score === 10 ? 'pass' : 'fail',
    durationMs: 5,
    ...overrides,
  };
}

function reportWith(score: number, infraError = false): GradeReport {
  const checks = [
    { name: 'a', status: score > 0 ? 'pass' : 'fail', points: score, maxPoints: 4, message: '' },
  ] as const;
  return singleExerciseReport({
    id: 'ex/one',
    title: 'One',
    specFile: 'x',
    durationMs: 7,
    checks: [...checks],
    infraError,
  });
}

/** A grader that notes whom it graded. */
function recording(graded: string[], score: number): (student: Student) => Promise<GradeReport> {
  return async (student) => {
    graded.push(student.name);
    return reportWith(score);
  };
}

describe('gradebook text', () => {
  it('renders CSV with a header, quoting and neutralised formulas', () => {
    const book = gradebookOf([
      row('=HYPERLINK("x")', 'a/b', 10),
      row('bob, the "second"', 'a/b', 2.5),
      row('alice', 'a/b', 10),
    ]);
    expect(renderGradebookCsv(book).split('\r\n')).toEqual([
      'student,exercise,score,max_score,status,duration_ms',
      `"'=HYPERLINK(""x"")",a/b,10,10,pass,5`,
      'alice,a/b,10,10,pass,5',
      '"bob, the ""second""",a/b,2.5,10,fail,5',
      '',
    ]);
  });

  it('reads back what it writes', () => {
    const book = gradebookOf([
      row('bob', 'x', 3),
      row('alice', 'y', 10),
      row('alice', 'x', 0, { status: 'error' }),
    ]);
    expect(parseGradebook(renderGradebookJson(book), 'g.json')).toEqual(book);
    expect(book.rows.map((r) => `${r.student} ${r.exercise}`)).toEqual(['alice x', 'alice y', 'bob x']);
  });

  it.each([
    ['not json', '{', /g\.json is not JSON/],
    ['another file', '{"version":1,"score":3}', /not a docker-autograder gradebook/],
    [
      'a bad row',
      '{"version":1,"rows":[{"student":"a","exercise":"b","score":"10"}]}',
      /row 1 is not a gradebook row/,
    ],
    [
      'a bad status',
      '{"version":1,"rows":[{"student":"a","exercise":"b","score":1,"maxScore":1,"status":"ok","durationMs":1}]}',
      /row 1/,
    ],
  ])('refuses %s with a clear message', (_name, text, message) => {
    expect(() => parseGradebook(text, 'g.json')).toThrow(message);
  });

  it('merges shards, and refuses a student found in two of them', () => {
    const one = { source: 'one', book: gradebookOf([row('carol', 'x', 1), row('alice', 'x', 10)]) };
    const two = { source: 'two', book: gradebookOf([row('bob', 'x', 4)]) };
    expect(mergeGradebooks([one, two]).rows.map((r) => r.student)).toEqual(['alice', 'bob', 'carol']);
    const again = { source: 'three', book: gradebookOf([row('bob', 'y', 4)]) };
    expect(() => mergeGradebooks([one, two, again])).toThrow('student "bob" is in both two and three');
  });
});

describe('shards', () => {
  const students: Student[] = ['e', 'a', 'd', 'b', 'c', 'f', 'g']
    .sort()
    .map((name) => ({ name, dir: `/s/${name}` }));

  it.each([1, 2, 3, 4, 7, 9])('deal every student into exactly one of %i shards', (count) => {
    const dealt = Array.from({ length: count }, (_, i) => shardOf(students, { index: i + 1, count }));
    expect(
      dealt
        .flat()
        .map((s) => s.name)
        .sort(),
    ).toEqual(students.map((s) => s.name));
    const sizes = dealt.map((shard) => shard.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it.each(['0/3', '4/3', '1/0', '2', 'a/b', '-1/2', ''])('refuses --shard %j', (text) => {
    expect(() => parseShard(text)).toThrow(/--shard must be I\/N/);
  });
});

describe('mapBounded', () => {
  it('never runs more than the limit at once, and runs everything', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(item);
      running -= 1;
    });
    expect(most).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("returns the results in the items' order, whatever order they finish in", async () => {
    const delays = [30, 0, 10];
    const results = await mapBounded(delays, 3, async (delay) => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      return delay * 2;
    });
    expect(results).toEqual([60, 0, 20]);
  });

  it('stops starting work after a failure and throws it', async () => {
    const started: number[] = [];
    await expect(
      mapBounded([1, 2, 3, 4], 1, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('engine gone');
      }),
    ).rejects.toThrow('engine gone');
    expect(started).toEqual([1, 2]);
  });
});

describe('regrade', () => {
  const dir = tempDirPerTest('regrade-');

  async function classOf(names: string[]): Promise<Student[]> {
    for (const name of names) await mkdir(path.join(dir(), 'subs', name), { recursive: true });
    await mkdir(path.join(dir(), 'subs', '.git'));
    await writeFile(path.join(dir(), 'subs', 'notes.txt'), 'not a student');
    return findStudents([path.join(dir(), 'subs')]);
  }

  it('finds students as sub-folders, sorted, without hidden folders or files', async () => {
    expect((await classOf(['zoe', 'adam'])).map((s) => s.name)).toEqual(['adam', 'zoe']);
  });

  it('refuses two repositories of the same name in two folders', async () => {
    await mkdir(path.join(dir(), 'a', 'sam'), { recursive: true });
    await mkdir(path.join(dir(), 'b', 'sam'), { recursive: true });
    await expect(findStudents([path.join(dir(), 'a'), path.join(dir(), 'b')])).rejects.toThrow(
      /two repositories are named "sam"/,
    );
  });

  it('resumes: keeps students graded with the same exercises, grades again those with errors', async () => {
    const students = await classOf(['ann', 'ben', 'cid']);
    const out = path.join(dir(), 'gradebook');
    const scores: Record<string, number> = { ann: 4, ben: 1, cid: 0 };
    const graded: string[] = [];
    const base = { students, outDir: out, fingerprint: 'f1', concurrency: 2, log: () => {} };
    const first = await regrade({
      ...base,
      gradeStudent: async (student) => {
        graded.push(student.name);
        return reportWith(scores[student.name] ?? 0, student.name === 'cid');
      },
    });
    expect(first).toMatchObject({ graded: 3, resumed: 0, errors: 1 });
    expect(graded.sort()).toEqual(['ann', 'ben', 'cid']);

    graded.length = 0;
    const second = await regrade({
      ...base,
      gradeStudent: async (student) => {
        graded.push(student.name);
        return reportWith(2);
      },
    });
    expect(graded).toEqual(['cid']);
    expect(second).toMatchObject({ graded: 1, resumed: 2, errors: 0 });
    const book = parseGradebook(await readFile(path.join(out, 'gradebook.json'), 'utf8'), 'gradebook.json');
    expect(book.rows.map((r) => [r.student, r.score, r.status])).toEqual([
      ['ann', 4, 'pass'],
      ['ben', 1, 'pass'],
      ['cid', 2, 'pass'],
    ]);
    expect(await readFile(path.join(out, 'gradebook.csv'), 'utf8')).toContain('cid,ex/one,2,4,pass,7');

    graded.length = 0;
    await regrade({
      ...base,
      fingerprint: 'f2',
      gradeStudent: recording(graded, 1),
    });
    expect(graded.sort()).toEqual(['ann', 'ben', 'cid']);
  });

  it('grades a student again whose saved result was cut short', async () => {
    const students = await classOf(['ann']);
    const out = path.join(dir(), 'gradebook');
    await mkdir(path.join(out, 'students'), { recursive: true });
    await writeFile(path.join(out, 'students', 'ann.json'), '{"version":1,"student":"ann","finger');
    const graded: string[] = [];
    await regrade({
      students,
      outDir: out,
      fingerprint: 'f1',
      concurrency: 1,
      log: () => {},
      gradeStudent: recording(graded, 4),
    });
    expect(graded).toEqual(['ann']);
  });
});
