// Snapshots and safety properties of the student- and instructor-facing renderers (markdown,
// JUnit, Classroom, annotations) for one report with passes, failures, errors, hidden checks and
// hostile strings.
import Ajv from 'ajv';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import reportSchema from '../../../schema/report.schema.json';
import { annotationsOf, batches, limitForStep, relativePath } from '../../../src/report/annotations';
import { type ClassroomResult, classroomResult, renderClassroom } from '../../../src/report/classroom';
import { renderJson } from '../../../src/report/json';
import { renderJunit } from '../../../src/report/junit';
import { COMMENT_MAX_CHARS, renderMarkdown } from '../../../src/report/markdown';
import { exerciseResult, type GradeReport, gradeReport, redactHidden } from '../../../src/report/model';
import { isReportFormat, REPORT_FORMATS, renderReport } from '../../../src/report/render';
import { renderText } from '../../../src/report/text';
import { textDiff } from '../../../src/report/text-diff';
import {
  BIDI,
  CONTROL,
  checkResult as check,
  commandLines,
  expectBalancedMarkdown,
  FLOOD,
  HOSTILE,
  oneExerciseReport,
  singleExerciseReport,
} from '../../support/report-fixtures';

const WORKSPACE = '/home/runner/work/course/course';

// What a hidden check knows and must never show.
const SECRETS = ['the secret answer is 42', 'SECRET-EXPECTED', 'SECRET-ACTUAL', 'SECRET-HINT', 'secret.txt'];

function fixture(): GradeReport {
  return gradeReport(
    [
      exerciseResult({
        id: 'images/hello',
        title: 'Hello </pre> @org/team ::error::x \u202e',
        specFile: `${WORKSPACE}/exercises/images/hello/exercise.yaml`,
        durationMs: 1_500,
        setupError: 'script start.sh did not finish within 1m0s',
        firstError: 'docker: Error response from daemon: Conflict. ::error::x @org/team \u202e',
        setupLog: 'starting web\n::error::from the log',
        checks: [
          check({
            name: 'image builds',
            status: 'pass',
            points: 2,
            maxPoints: 2,
            specLocation: { file: `${WORKSPACE}/exercises/images/hello/exercise.yaml`, line: 10, column: 5 },
          }),
          check({
            name: 'prints the greeting',
            status: 'fail',
            maxPoints: 3,
            message: 'stdout not as expected',
            expected: 'equals "Hello\\nfrom\\nDocker"',
            actual: 'Hello\nfrom\nPython\n',
            hint: 'Look at the CMD line, @org/team.',
            location: { file: `${WORKSPACE}/submission/Dockerfile`, line: 3, column: 1 },
          }),
          check({
            name: '::error::x </pre> @org/team \u202e',
            status: 'fail',
            maxPoints: 2,
            message: HOSTILE,
            expected: `</pre><script>alert(1)</script>\n${HOSTILE}`,
            actual: FLOOD,
            hint: '@org/team ::add-mask::x </details> \u202e',
            firstError: '::error::first @org/team \u202e',
            specLocation: { file: `${WORKSPACE}/exercises/images/hello/exercise.yaml`, line: 20, column: 5 },
          }),
          check({ name: 'secret check that passes', status: 'pass', points: 2, maxPoints: 2, hidden: true }),
          check({
            name: 'secret check that fails',
            status: 'fail',
            maxPoints: 2,
            message: 'the secret answer is 42',
            expected: 'SECRET-EXPECTED',
            actual: 'SECRET-ACTUAL',
            hint: 'SECRET-HINT',
            location: { file: `${WORKSPACE}/submission/secret.txt`, line: 7, column: 1 },
            hidden: true,
          }),
          check({ name: 'image is small', status: 'skipped', message: 'not run: the image did not build' }),
          check({
            name: 'restarts unless stopped',
            status: 'fail',
            maxPoints: 1,
            message:
              'not checked: the setup step "script start.sh" failed before this check could look (see the setup error)',
            causedBySetup: true,
            specLocation: { file: `${WORKSPACE}/exercises/images/hello/exercise.yaml`, line: 30, column: 5 },
          }),
        ],
      }),
      exerciseResult({
        id: 'compose/web',
        title: 'A web stack',
        specFile: `${WORKSPACE}/exercises/compose/web/exercise.yaml`,
        durationMs: 3_000,
        infraError: true,
        setupError: 'the Docker engine stopped answering',
        setupLog: `Step 1/2 : FROM busybox\n${HOSTILE}`,
        checks: [
          check({ name: 'answers on port 8080', status: 'error', maxPoints: 2, message: 'ECONNRESET' }),
        ],
      }),
    ],
    4_500,
  );
}

function expectNoSecrets(output: string): void {
  for (const secret of SECRETS) expect(output).not.toContain(secret);
}

describe('renderMarkdown (job summary and comment)', () => {
  const markdown = renderMarkdown(fixture());

  it('matches its snapshot', () => {
    expect(markdown).toMatchSnapshot();
  });

  it('keeps hostile text inert and hidden checks secret', () => {
    expectNoSecrets(markdown);
    expect(markdown).toContain('| ❌ | secret check that fails 🔒 | 0/2 |');
    expect(markdown).toContain('| ✅ | secret check that passes 🔒 | 2/2 |');
    expect(markdown).not.toMatch(/@org|@someone/);
    expect(markdown.replace(/\u200b/g, '')).not.toMatch(BIDI);
    expect(markdown).not.toMatch(CONTROL);
    expect(markdown).not.toMatch(/<script|<\/details><script/);
    expect(commandLines(markdown)).toEqual([]);
    expectBalancedMarkdown(markdown);
    expect(markdown.length).toBeLessThan(100_000);
  });

  it('shows a diff for multi-line text', () => {
    expect(markdown).toContain(
      '<pre><code>--- expected\n+++ actual\n Hello\n from\n-Docker\n+Python</code></pre>',
    );
  });

  it('shows the change since the previous grade and links the run', () => {
    const change = {
      previousScore: 6,
      previousMaxScore: 14,
      previousSha: 'abcdef0123456789abcdef0123456789abcdef01',
      nowPassing: ['image builds', '@org/team ::error::x'],
      noLongerPassing: ['prints the greeting', 'a', 'b', 'c', 'd', 'e', 'f'],
    };
    const header = renderMarkdown(fixture(), {
      change,
      runUrl: 'https://github.com/o/r/actions/runs/1',
    }).split('### ')[0];
    expect(header).toMatchInlineSnapshot(`
      "## ⚠️ Docker autograder: 4/15 points

      ▰▰▱▱▱▱▱▱▱▱ 26% · **grading error** · 2 exercises · 4.5 s · [workflow run](https://github.com/o/r/actions/runs/1)

      **Since the previous grade (\`abcdef0\`):** 6/14 → 4/15 (-2 points)

      - ✅ now passing: image builds, @&#8203;org/team &#58;&#58;error&#58;&#58;x
      - ❌ no longer passing: prints the greeting, a, b, c, d and 2 more

      > [!WARNING]
      > The grader or the Docker engine failed, so this grade is incomplete. This is not the
      > submission’s fault: re-run the job.

      "
    `);
    const noChange = renderMarkdown(fixture(), {
      change: { previousScore: 4, previousMaxScore: 15, nowPassing: [], noLongerPassing: [] },
      runUrl: 'javascript:alert(1)',
    });
    expect(noChange).toContain('**Since the previous grade:** 4/15 → 4/15 (no change)\n');
    expect(noChange).not.toContain('javascript');
    expect(noChange).not.toContain('[workflow run]');
  });

  it('stays within the comment limit with a huge report', () => {
    const many = fixture();
    const first = many.exercises[0];
    if (first === undefined) throw new Error('fixture');
    const big = singleExerciseReport(
      {
        ...first,
        checks: [
          ...first.checks,
          ...Array.from({ length: 200 }, (_, i) =>
            check({
              name: `flood ${i}`,
              status: 'fail',
              expected: HOSTILE,
              actual: FLOOD.slice(0, 20_000),
            }),
          ),
        ],
      },
      1,
    );
    const capped = renderMarkdown(big, { maxChars: COMMENT_MAX_CHARS });
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(capped).toContain('Details truncated');
    expectBalancedMarkdown(capped);
    expectNoSecrets(capped);
  });
});

describe('textDiff', () => {
  it('diffs literal multi-line text and nothing else', () => {
    expect(textDiff('equals "a\\nb"', 'a\nc')).toBe('--- expected\n+++ actual\n a\n-b\n+c');
    expect(textDiff('a\nb', 'a\nb\n')).toBeUndefined();
    expect(textDiff('equals "a"', 'b')).toBeUndefined();
    expect(textDiff('contains "a\\nb"', 'x\ny')).toBeUndefined();
    expect(textDiff('matches /a/', 'x\ny')).toBeUndefined();
    expect(textDiff('equals ["a","b"]', 'x\ny')).toBeUndefined();
    expect(textDiff(undefined, 'x\ny')).toBeUndefined();
  });

  it('keeps three lines of context around changes', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const changed = [...lines];
    changed[10] = 'CHANGED';
    expect(textDiff(lines.join('\n'), changed.join('\n'))).toBe(
      [
        '--- expected',
        '+++ actual',
        '⋯ 7 unchanged lines',
        ' line 7',
        ' line 8',
        ' line 9',
        '-line 10',
        '+CHANGED',
        ' line 11',
        ' line 12',
        ' line 13',
        '⋯ 6 unchanged lines',
      ].join('\n'),
    );
  });

  it('gives up on texts that differ everywhere', () => {
    const a = Array.from({ length: 1_000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 1_000 }, (_, i) => `b${i}`).join('\n');
    expect(textDiff(a, b)).toBeUndefined();
  });
});

describe('renderText', () => {
  it('shows a hidden check as its name, status and points only', () => {
    const text = renderText(fixture());
    expectNoSecrets(text);
    expect(text).toContain('  ✘ [0/2] secret check that fails (hidden)\n  - [0/1] image is small');
    expect(text).toContain('  ✔ [2/2] secret check that passes (hidden)\n');
  });
});

describe('renderJson', () => {
  it('keeps the hidden flag and validates against the schema', () => {
    const json = JSON.parse(renderJson(fixture()));
    const validate = new Ajv({ strict: true }).compile(reportSchema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.exercises[0].checks[4]).toMatchObject({ hidden: true, hint: 'SECRET-HINT' });
  });

  it('redacts hidden checks for reports that leave the grader', () => {
    const redacted = redactHidden(fixture());
    expectNoSecrets(renderJson(redacted));
    expect(redacted.exercises[0]?.checks[4]).toEqual({
      name: 'secret check that fails',
      status: 'fail',
      points: 0,
      maxPoints: 2,
      message: '',
      hidden: true,
    });
    expect(redacted.score).toBe(fixture().score);
  });
});

describe('renderJunit', () => {
  const xml = renderJunit(fixture());

  it('matches its snapshot', () => {
    expect(xml).toMatchSnapshot();
  });

  it('is well-formed XML with one testsuite per exercise and one testcase per check', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      // A conforming XML reader decodes character references such as &#58;.
      htmlEntities: true,
      isArray: (name) => name === 'testsuite' || name === 'testcase',
    }).parse(xml) as {
      testsuites: {
        tests: string;
        failures: string;
        errors: string;
        skipped: string;
        testsuite: Array<{ name: string; tests: string; testcase: Array<Record<string, unknown>> }>;
      };
    };
    const { testsuites } = parsed;
    expect(testsuites).toMatchObject({ tests: '8', failures: '4', errors: '1', skipped: '1' });
    expect(testsuites.testsuite.map((suite) => suite.name)).toEqual(['images/hello', 'compose/web']);
    expect(testsuites.testsuite.map((suite) => suite.testcase.length)).toEqual([7, 1]);
    const hostile = testsuites.testsuite[0]?.testcase[2] as { name: string; failure: { '#text': string } };
    // The reader gets the student's text back as data.
    expect(hostile.name).toBe('::error::x </pre> @\u200borg/team');
    expect(hostile.failure['#text']).toContain('</pre><script>alert(1)</script>');
  });

  it('is inert in a log and keeps hidden checks secret', () => {
    expectNoSecrets(xml);
    expect(xml).not.toMatch(/@org|@someone/);
    expect(commandLines(xml)).toEqual([]);
    expect(xml).not.toMatch(BIDI);
    expect(xml).not.toMatch(CONTROL);
    expect(xml).toContain('<failure message="0/2 points" type="fail"/>');
    expect(xml.length).toBeLessThan(120_000);
  });
});

describe('renderClassroom', () => {
  const decoded = JSON.parse(
    Buffer.from(renderClassroom(fixture()), 'base64').toString('utf8'),
  ) as ClassroomResult;

  it('matches its snapshot', () => {
    expect(decoded).toMatchSnapshot();
  });

  it("has the grading reporter's shape and adds up to the grade", () => {
    expect(Object.keys(decoded)).toEqual(['version', 'status', 'max_score', 'tests']);
    // An engine error: max_score 0 makes the reporter record no grade at all.
    expect(decoded).toMatchObject({ version: 1, status: 'error', max_score: 0 });
    for (const test of decoded.tests) {
      expect(Object.keys(test).sort()).toEqual(
        ['duration', 'filename', 'line_no', 'message', 'name', 'score', 'status', 'test_code'].sort(),
      );
      expect(['pass', 'fail', 'error']).toContain(test.status);
      expect(typeof test.line_no).toBe('number');
    }
    // The reporter's total is the sum of the tests' scores.
    expect(decoded.tests.reduce((total, test) => total + test.score, 0)).toBe(fixture().score);
    expect(decoded.tests.map((test) => test.status)).toEqual([
      'pass',
      'fail',
      'fail',
      'pass',
      'fail',
      'fail',
      'fail',
      'error',
    ]);
    expect(decoded.tests[1]).toMatchObject({ line_no: 3, filename: `${WORKSPACE}/submission/Dockerfile` });
    // A location in the exercise spec is the instructor's: no line number for the student.
    expect(decoded.tests[2]).toMatchObject({ line_no: 0, filename: '' });
    // The reporter prints test_code, not message, for a failed test: the details go there.
    expect(decoded.tests[1]?.test_code).toBe(
      'stdout not as expected\nexpected: equals "Hello\\nfrom\\nDocker"\nactual: Hello\n  from\n  Python\nhint: Look at the CMD line, @\u200borg/team.\nat: /home/runner/work/course/course/submission/Dockerfile:3',
    );
    // A check that failed only because the setup did shows the setup's failure, no hint.
    expect(decoded.tests[6]?.test_code).toBe(
      'not checked: the setup step "script start.sh" failed before this check could look (see the setup error)\nsetup error: script start.sh did not finish within 1m0s\nfirst error: docker: Error response from daemon: Conflict. ::error::x @\u200borg/team ',
    );
  });

  it('reports pass and fail at the top', () => {
    const passing = oneExerciseReport([check({ name: 'x', status: 'pass' })]);
    expect(classroomResult(passing)).toMatchObject({ status: 'pass', max_score: 1 });
    const failing = { ...passing, passed: false };
    expect(classroomResult(failing).status).toBe('fail');
  });

  it('keeps hidden checks secret and stays inert when the reporter prints it', () => {
    expectNoSecrets(JSON.stringify(decoded));
    expect(JSON.stringify(decoded)).not.toMatch(/@org|@someone/);
    expect(decoded.tests[4]).toMatchObject({ message: '', test_code: '', filename: '', line_no: 0 });
    // What autograding-grading-reporter prints for each test, line by line.
    const printed = decoded.tests
      .flatMap((test) => [`❌ ${test.name}`, `Error: ${test.message}`, 'Test code:', test.test_code])
      .join('\n');
    expect(commandLines(printed)).toEqual([]);
    expect(printed.replace(/\u200b(?=[A-Za-z0-9])/g, '')).not.toMatch(BIDI);
    expect(printed).not.toMatch(CONTROL);
  });

  it('fits the outputs limit with huge messages', () => {
    const first = fixture().exercises[0];
    if (first === undefined) throw new Error('fixture');
    const huge = singleExerciseReport(
      {
        ...first,
        checks: Array.from({ length: 2_000 }, (_, i) =>
          check({ name: `check ${i} ${'n'.repeat(300)}`, status: 'fail', message: FLOOD, actual: FLOOD }),
        ),
      },
      1,
    );
    const encoded = renderClassroom(huge);
    expect(encoded.length).toBeLessThanOrEqual(600_000);
    const result = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ClassroomResult;
    expect(result.tests).toHaveLength(2_000);
  });
});

describe('annotationsOf', () => {
  const options = { workspace: WORKSPACE, cwd: WORKSPACE };

  it("annotates failed checks on the student's file, else on no file, relative to the workspace", () => {
    const annotations = annotationsOf(fixture(), options);
    expect(annotations.map(({ level, file, line, column }) => ({ level, file, line, column }))).toEqual([
      { level: 'error', file: 'submission/Dockerfile', line: 3, column: 1 },
      // Its location is in the exercise spec, which the student cannot see.
      { level: 'error', file: undefined, line: 1, column: undefined },
      // Hidden: not on the file it looks at.
      { level: 'error', file: undefined, line: 1, column: undefined },
      { level: 'error', file: undefined, line: 1, column: undefined },
      // The engine's failure is a warning: not the student's fault.
      { level: 'warning', file: undefined, line: 1, column: undefined },
    ]);
    expect(annotations[0]).toMatchObject({
      title: 'images/hello: prints the greeting (0/3 points)',
      message:
        'stdout not as expected\nExpected: equals "Hello\\nfrom\\nDocker"\nActual: Hello\nfrom\nPython\n\nHint: Look at the CMD line, @org/team.',
    });
    expect(annotations[2]?.message).toBe('This check failed; its details are hidden.');
    const all = JSON.stringify(annotations);
    expectNoSecrets(all);
    for (const annotation of annotations) {
      expect(commandLines(annotation.message)).toEqual([]);
      expect(commandLines(annotation.title)).toEqual([]);
      expect(annotation.message).not.toMatch(BIDI);
      expect(annotation.message.length).toBeLessThanOrEqual(4_000);
      expect(annotation.title.length).toBeLessThanOrEqual(250);
    }
  });

  it('resolves relative paths against the working directory and drops paths outside the workspace', () => {
    expect(relativePath('exercises/a/exercise.yaml', options)).toBe('exercises/a/exercise.yaml');
    expect(relativePath('a.yaml', { workspace: WORKSPACE, cwd: `${WORKSPACE}/sub` })).toBe('sub/a.yaml');
    expect(relativePath('/tmp/elsewhere/exercise.yaml', options)).toBeUndefined();
    expect(relativePath('../x.yaml', options)).toBeUndefined();
    expect(relativePath(WORKSPACE, options)).toBeUndefined();
  });

  it("respects GitHub's per-step limits: 10 errors and 10 warnings", () => {
    const many = [
      ...Array.from({ length: 25 }, (_, i) => ({
        level: 'error' as const,
        file: 'a',
        line: i + 1,
        title: `e${i}`,
        message: 'm',
      })),
      ...Array.from({ length: 4 }, (_, i) => ({
        level: 'warning' as const,
        line: i + 1,
        title: `w${i}`,
        message: 'm',
      })),
    ];
    const { annotations, omitted } = limitForStep(many);
    expect(annotations.filter((a) => a.level === 'error')).toHaveLength(10);
    expect(annotations.filter((a) => a.level === 'warning')).toHaveLength(4);
    expect(omitted).toBe(16);
    expect(annotations[9]).toMatchObject({ title: '16 more failed checks' });
    expect(limitForStep(many.slice(0, 10)).omitted).toBe(0);
  });

  it('splits check-run annotations into requests of 50', () => {
    expect(batches(Array.from({ length: 120 }, (_, i) => i)).map((batch) => batch.length)).toEqual([
      50, 50, 20,
    ]);
    expect(batches([])).toEqual([]);
  });
});

describe('renderReport', () => {
  it('renders each format with its own renderer', async () => {
    const report = fixture();
    expect(await renderReport('text', report)).toBe(renderText(report));
    expect(await renderReport('json', report)).toBe(renderJson(report));
    expect(await renderReport('markdown', report)).toBe(renderMarkdown(report));
    expect(await renderReport('junit', report)).toBe(renderJunit(report));
  });

  it('knows its formats', () => {
    expect(REPORT_FORMATS).toEqual(['text', 'json', 'markdown', 'junit']);
    expect(isReportFormat('junit')).toBe(true);
    expect(isReportFormat('xml')).toBe(false);
  });
});

describe('a diff from the comparators', () => {
  it('is shown instead of the two values, escaped and capped', () => {
    const report = oneExerciseReport([
      check({
        name: 'prints',
        status: 'fail',
        expected: 'equals "x"',
        actual: 'y',
        diff: '--- expected\n+++ actual\n@@ -1 +1 @@\n-x\n+::error::y @org/team </pre>',
      }),
    ]);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain(
      '<pre><code>--- expected\n+++ actual\n@&#8203;@&#8203; -1 +1 @&#8203;@&#8203;\n-x\n+&#58;:error&#58;:y @&#8203;org/team &lt;/pre&gt;</code></pre>',
    );
    expect(markdown).not.toContain('**Actual**');
  });
});
