// Per-check rows in the gradebook, the class statistics, and the class report's HTML (its
// escaping and its Content-Security-Policy). The page in a real browser: class-report.itg.test.ts.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type GradebookCheck,
  type GradebookRow,
  gradebookOf,
  mergeGradebooks,
  parseGradebook,
  renderChecksCsv,
  renderGradebookJson,
  rowsFromReport,
  SHORT_MESSAGE_CHARS,
} from '../../../src/class/gradebook';
import { findStudents, regrade } from '../../../src/class/regrade';
import { classStatistics, histogram, median, pearson } from '../../../src/class/statistics';
import { classReportFile } from '../../../src/cli/class-commands';
import { runCli } from '../../../src/cli/commands';
import { CLASS_REPORT_CSP, renderClassReport } from '../../../src/report/class-report';
import type { CheckResult } from '../../../src/report/model';
import { singleExerciseReport } from '../../support/report-fixtures';
import { tempDirPerTest } from '../../support/temp-dir';

function check(name: string, passed: boolean, maxPoints: number, message = ''): GradebookCheck {
  return { name, status: passed ? 'pass' : 'fail', points: passed ? maxPoints : 0, maxPoints, message };
}

/** A row whose score is its checks' points, as the grader makes it. */
function row(student: string, exercise: string, checks: GradebookCheck[]): GradebookRow {
  const score = checks.reduce((total, c) => total + c.points, 0);
  const maxScore = checks.reduce((total, c) => total + c.maxPoints, 0);
  return {
    student,
    exercise,
    score,
    maxScore,
    status: checks.every((c) => c.status === 'pass') ? 'pass' : 'fail',
    durationMs: 1,
    checks,
  };
}

const SECRET_CHECK: CheckResult = {
  name: 'quiz',
  status: 'fail',
  points: 1,
  maxPoints: 3,
  message: 'q2 answered "b", expected "c"',
  expected: 'c',
  actual: 'b',
  hint: 'the answer is c',
  hidden: true,
};

function studentReport() {
  return singleExerciseReport({
    id: 'ex/one',
    title: 'One',
    specFile: 'x',
    durationMs: 3,
    checks: [
      {
        name: 'answer',
        status: 'fail',
        points: 0,
        maxPoints: 2,
        message: `wrong answer\nsecond line ${'x'.repeat(10)}`,
        hint: 'look again',
      },
      { name: 'long', status: 'pass', points: 1, maxPoints: 1, message: 'é'.repeat(500), hint: 'unused' },
      SECRET_CHECK,
    ],
  });
}

describe('per-check rows', () => {
  it("keep each check's outcome, its first message line cut short, and a hint only when it did not pass", () => {
    const [first] = rowsFromReport('ann', studentReport());
    const [answer, long, quiz] = first?.checks ?? [];
    expect(answer).toEqual({
      name: 'answer',
      status: 'fail',
      points: 0,
      maxPoints: 2,
      message: 'wrong answer',
      hint: 'look again',
    });
    expect([...(long?.message ?? '')]).toHaveLength(SHORT_MESSAGE_CHARS);
    expect(long?.hint).toBeUndefined();
    expect(quiz).toEqual({
      name: 'quiz',
      status: 'fail',
      points: 1,
      maxPoints: 3,
      message: '',
      hidden: true,
    });
  });

  it('keep no detail of a hidden check, in the JSON or in checks.csv', () => {
    const book = gradebookOf(rowsFromReport('ann', studentReport()));
    const text = renderGradebookJson(book) + renderChecksCsv(book);
    for (const secret of ['answered', 'the answer is c', '"b"']) expect(text).not.toContain(secret);
  });

  it('are read back from the JSON, and a hidden check read back loses any details written into it', () => {
    const book = gradebookOf(rowsFromReport('ann', studentReport()));
    expect(parseGradebook(renderGradebookJson(book), 'g.json')).toEqual(book);
    const edited = renderGradebookJson(book).replace('"message": ""', '"message": "leaked"');
    expect(JSON.stringify(parseGradebook(edited, 'g.json'))).not.toContain('leaked');
  });

  it('refuse a malformed check with the row it is in', () => {
    const text = JSON.stringify({
      version: 1,
      rows: [
        {
          student: 'a',
          exercise: 'b',
          score: 1,
          maxScore: 1,
          status: 'pass',
          durationMs: 1,
          checks: [{ name: 'c', status: 'maybe', points: 1, maxPoints: 1, message: '' }],
        },
      ],
    });
    expect(() => parseGradebook(text, 'g.json')).toThrow(/g\.json: row 1 is not a gradebook row/);
  });

  it('are in checks.csv, one line per check, formulas neutralised', () => {
    const book = gradebookOf([row('=cmd', 'ex', [check('a, "b"', false, 2, '-1 is wrong')])]);
    expect(renderChecksCsv(book).split('\r\n')).toEqual([
      'student,exercise,check,status,points,max_points,message',
      `'=cmd,ex,"a, ""b""",fail,0,2,'-1 is wrong`,
      '',
    ]);
  });

  it('are kept by gradebook merge', () => {
    const one = gradebookOf([row('ann', 'ex', [check('a', true, 1)])]);
    const two = gradebookOf([row('bob', 'ex', [check('a', false, 1, 'no')])]);
    const merged = mergeGradebooks([
      { source: 'one', book: one },
      { source: 'two', book: two },
    ]);
    expect(merged.rows.map((r) => r.checks?.[0]?.status)).toEqual(['pass', 'fail']);
  });
});

describe('resume', () => {
  const dir = tempDirPerTest('class-report-');

  it("keeps a saved student's checks, and writes checks.csv and class-report.html beside the gradebook", async () => {
    await mkdir(path.join(dir(), 'subs', 'ann'), { recursive: true });
    const students = await findStudents([path.join(dir(), 'subs')]);
    const out = path.join(dir(), 'gradebook');
    const base = { students, outDir: out, fingerprint: 'f', concurrency: 1, log: () => {} };
    await regrade({ ...base, gradeStudent: async () => studentReport() });
    let graded = 0;
    const second = await regrade({
      ...base,
      gradeStudent: async () => {
        graded += 1;
        return studentReport();
      },
    });
    expect(graded).toBe(0);
    expect(second.resumed).toBe(1);
    expect(second.book.rows[0]?.checks?.map((c) => c.name)).toEqual(['answer', 'long', 'quiz']);
    expect(await readFile(path.join(out, 'checks.csv'), 'utf8')).toContain(
      'ann,ex/one,answer,fail,0,2,wrong answer',
    );
    expect(await readFile(path.join(out, 'class-report.html'), 'utf8')).toContain(
      '<td class="name">answer</td>',
    );
  });
});

describe('class statistics', () => {
  // Five students; "good" is passed by the strong, "odd" only by the weakest.
  const rows = [
    row('s1', 'ex', [check('good', true, 2), check('base', true, 2), check('odd', false, 1, 'wanted x')]),
    row('s2', 'ex', [check('good', true, 2), check('base', true, 2), check('odd', false, 1, 'wanted x')]),
    row('s3', 'ex', [
      check('good', false, 2, 'no'),
      check('base', true, 2),
      check('odd', false, 1, 'wanted y'),
    ]),
    row('s4', 'ex', [check('good', false, 2, 'no'), check('base', false, 2, 'nope'), check('odd', true, 1)]),
    { ...row('s5', 'ex', []), status: 'error' as const, score: 0, maxScore: 5, error: 'engine gone' },
  ];
  const stats = classStatistics(rows);
  const exercise = stats.exercises[0];
  const byName = (name: string) => exercise?.checks.find((c) => c.name === name);

  it('leave infrastructure errors out of every statistic, and list them apart', () => {
    expect(exercise).toMatchObject({ graded: 4, errors: 1, passed: 0, maxScore: 5 });
    expect(stats.infraErrors.map((r) => r.student)).toEqual(['s5']);
    expect(byName('good')?.students).toBe(4);
  });

  it('give pass rate, difficulty and point-biserial discrimination against the rest score', () => {
    expect(byName('good')).toMatchObject({ passed: 2, passRate: 0.5, difficulty: 0.5 });
    // Rest scores (score without "good"): 2, 2, 2, 1; passed: 1, 1, 0, 0.
    // Means 0.5 and 1.75; covariance terms: .125+.125-.125+.375 = .5; sxx = 1; syy = .75.
    expect(byName('good')?.discrimination).toBeCloseTo(0.5 / Math.sqrt(0.75), 10);
    // "odd" passed only by s4, whose rest score is the lowest: negative, flagged.
    expect(byName('odd')?.discrimination).toBeLessThan(0);
    expect(byName('odd')?.flags).toEqual(['negative discrimination']);
    expect(byName('good')?.flags).toEqual([]);
    expect(byName('odd')?.failures).toEqual([
      { message: 'wanted x', count: 2 },
      { message: 'wanted y', count: 1 },
    ]);
  });

  it('flag a check passed by under 20% of the class, and give no discrimination when nothing varies', () => {
    const hard = classStatistics(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((s) =>
        row(s, 'ex', [check('hard', s === 'a', 1), check('x', true, 1)]),
      ),
    );
    expect(hard.exercises[0]?.checks[0]).toMatchObject({ passed: 1, flags: ['low pass rate'] });
    expect(hard.exercises[0]?.checks[1]).toMatchObject({ passRate: 1, discrimination: undefined, flags: [] });
  });

  it('median, histogram and correlation', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeUndefined();
    expect(histogram([0, 2, 2, 3], 3).map((bin) => bin.count)).toEqual([1, 0, 2, 1]);
    expect(histogram([0, 19.5, 20, 10], 20).map((bin) => bin.count)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 1, 1], [2, 4, 6])).toBeUndefined();
  });
});

describe('class report page', () => {
  const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const page = renderClassReport(
    gradebookOf([
      row(`"><b>${hostile}`, 'ex', [check('c', false, 1, hostile)]),
      row('bob', 'ex', [check('c', true, 1)]),
    ]),
  );

  it("keeps a student's markup as text", () => {
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>');
    expect(page.match(/<script>/g)).toHaveLength(1);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('allows its one script and its one style by hash, and no other script, connection or source', () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const policy = Object.fromEntries(
      CLASS_REPORT_CSP.split(';').map((directive) => {
        const [name, ...sources] = directive.trim().split(/\s+/);
        return [name, sources.join(' ')];
      }),
    );
    expect(policy).toMatchObject({
      'default-src': "'none'",
      'script-src': hash(script),
      'style-src': hash(style),
      'connect-src': "'none'",
    });
    expect(page).toContain(`content="${CLASS_REPORT_CSP.replaceAll("'", '&#39;')}"`);
    // Nothing to fetch: the only URL is the SVG namespace, a name and not a request.
    expect([...page.matchAll(/\b(?:https?:)?\/\/[^\s"'<>]+/g)].map((m) => m[0])).toEqual(
      page.match(/http:\/\/www\.w3\.org\/2000\/svg/g) ?? [],
    );
    // No style or event-handler attribute in any tag: the policy would refuse them.
    const tags = page.match(/<[a-z][^>]*>/gi) ?? [];
    const attributes = tags.map((tag) => tag.replace(/"[^"]*"/g, '""'));
    expect(attributes.filter((tag) => /\sstyle=|\son[a-z]+=/i.test(tag))).toEqual([]);
  });

  it('is written by report GRADEBOOK --out FILE', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'class-report-'));
    try {
      const source = path.join(dir, 'gradebook.json');
      await import('node:fs/promises').then((fs) =>
        fs.writeFile(source, renderGradebookJson(gradebookOf([row('ann', 'ex', [check('c', true, 1)])]))),
      );
      const out = path.join(dir, 'nested', 'report.html');
      await classReportFile([source], out);
      expect(await readFile(out, 'utf8')).toContain('<td class="name">c</td>');
      await expect(classReportFile([path.join(dir, 'missing.json')], out)).rejects.toThrow(/no such file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('report command', () => {
  it.each([
    [['report', 'gradebook.json'], /report needs --out FILE/],
    [['report', '--out', 'x.html'], /report needs at least one gradebook/],
    [['report', 'no-such-gradebook', '--out', 'x.html'], /no such file or folder: no-such-gradebook/],
  ])('refuses %j with a clear message and exit code 2', async (argv, message) => {
    let stderr = '';
    const code = await runCli(argv, { stdout: () => {}, stderr: (text) => (stderr += text) });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
