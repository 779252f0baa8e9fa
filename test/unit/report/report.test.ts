import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import reportSchema from '../../../schema/report.schema.json';
import { renderJson } from '../../../src/report/json';
import { COMMENT_MAX_CHARS, progressBar, renderMarkdown } from '../../../src/report/markdown';
import { exerciseResult, type GradeReport, gradeReport } from '../../../src/report/model';
import {
  codeBlock,
  defangWorkflowCommands,
  escapeMarkdownInline,
  formatCount,
  lastLines,
  newStopToken,
  stripUnsafe,
  truncateText,
  truncateTextTail,
  wrapUntrustedLog,
} from '../../../src/report/sanitize';
import { renderText } from '../../../src/report/text';
import {
  BIDI,
  CONTROL,
  checkResult as check,
  commandLines,
  ESC,
  expectBalancedMarkdown,
  expectNoHostileCharacters,
  FLOOD,
  HOSTILE,
  oneExerciseReport,
  singleExerciseReport,
} from '../../support/report-fixtures';

function smallReport(): GradeReport {
  return gradeReport(
    [
      exerciseResult({
        id: 'images/hello',
        title: 'Hello, Docker',
        specFile: 'exercises/images/hello/exercise.yaml',
        durationMs: 1_200,
        checks: [
          check({ name: 'image builds', status: 'pass', points: 3, maxPoints: 3 }),
          check({
            name: 'prints the greeting',
            status: 'fail',
            points: 0,
            maxPoints: 5,
            message: 'The output differs from the expected text.',
            expected: 'Hello from Docker!\nBye',
            actual: 'Hello from Python!',
            hint: 'Look at the CMD line of your Dockerfile.',
            location: { file: 'exercises/images/hello/exercise.yaml', line: 12, column: 5 },
          }),
          check({
            name: 'image is smaller than 100 MB',
            status: 'skipped',
            points: 0,
            maxPoints: 2,
            message: 'Not run: the container did not start.',
          }),
        ],
      }),
      exerciseResult({
        id: 'compose/web',
        title: 'A web stack',
        specFile: 'exercises/compose/web/exercise.yaml',
        durationMs: 3_400,
        infraError: true,
        setupError: 'The Docker engine stopped answering.',
        setupLog: 'Step 1/3 : FROM python:3.11-slim\nStep 2/3 : COPY . /app\nerror: connection reset',
        checks: [
          check({
            name: 'answers on port 8080',
            status: 'error',
            points: 0,
            maxPoints: 2,
            message: 'Could not reach the container: ECONNRESET',
          }),
        ],
      }),
    ],
    4_600,
  );
}

function hostileReport(extraChecks = 0): GradeReport {
  const many = Array.from({ length: extraChecks }, (_, i) =>
    check({ name: `check ${i} ::error::x`, status: 'fail', expected: 'ok', actual: FLOOD.slice(0, 5_000) }),
  );
  return singleExerciseReport(
    {
      id: 'evil</pre>@org/team',
      title: `Title ${ESC}[31m\u202e ::error::x\n::set-output name=score::100`,
      specFile: 'exercises/evil/exercise.yaml',
      durationMs: 10,
      setupError: `build failed\n${HOSTILE}`,
      setupLog: FLOOD,
      checks: [
        check({ name: 'fine', status: 'pass' }),
        check({
          name: '::set-output name=score::100 | @org/team *bold* `code`',
          status: 'fail',
          message: HOSTILE,
          expected: `</pre><script>alert(1)</script>\n${HOSTILE}`,
          actual: FLOOD,
          hint: '@org/team ::add-mask::x </details>',
          location: { file: 'evil\u202e</pre>.yaml', line: 1, column: 2 },
        }),
        check({ name: 'broken', status: 'error', message: HOSTILE, actual: FLOOD }),
        check({ name: HOSTILE, status: 'skipped', message: HOSTILE }),
        ...many,
      ],
    },
    20,
  );
}

function expectBalanced(markdown: string): void {
  expectBalancedMarkdown(markdown);
  // Every raw </pre> is ours, directly after our </code>.
  expect(markdown.match(/<\/pre>/g)?.length ?? 0).toBe(markdown.match(/<\/code><\/pre>/g)?.length ?? 0);
}

function expectInertMarkdown(markdown: string): void {
  expectNoHostileCharacters(markdown.replace(/\u200b/g, ''));
  expect(markdown).not.toMatch(/@org|@someone/);
  expect(markdown).not.toMatch(/<script|<\/details><script/);
  expect(markdown).not.toMatch(/\u200b/); // the zero-width space is only ever written as an entity
  expect(commandLines(markdown)).toEqual([]);
  expectBalanced(markdown);
}

describe('sanitize', () => {
  it('strips ANSI sequences, controls and invisible formatting characters', () => {
    const input = `a${ESC}[1;31mred${ESC}[0m ${ESC}]8;;https://x${ESC}\\link${ESC}]8;;\u0007 b\u0007\u0000\u009b2Jc\u202ed\u2066e\u2069\u200b\u200ef\u061cg\ufeff\u{e0041}h\tI\r\nJ\rK`;
    expect(stripUnsafe(input)).toBe('ared link bcdefgh\tI\nJ\nK');
    expect(stripUnsafe('\ud800x')).toBe('\ufffdx');
    expect(stripUnsafe('emoji 🐳 ok')).toBe('emoji 🐳 ok');
    expect(stripUnsafe(stripUnsafe(input))).toBe(stripUnsafe(input));
  });

  it('truncates keeping the head, within the limit, and says how much was cut', () => {
    const text = 'a'.repeat(100_000);
    const cut = truncateText(text, 1_000);
    expect(cut.length).toBeLessThanOrEqual(1_000);
    const head = cut.split('\n')[0] ?? '';
    expect(head).toMatch(/^a+$/);
    expect(cut).toContain(`… [truncated ${formatCount(100_000 - head.length)} characters]`);
    expect(truncateText(text, 2_000, 'see the log').endsWith('; see the log]')).toBe(true);
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('🐳'.repeat(10), 41).length).toBeLessThanOrEqual(41);
    expect(truncateText('x'.repeat(50), 10).length).toBeLessThanOrEqual(10);
    expect(formatCount(98_304)).toBe('98,304');
  });

  it('keeps the tail of logs', () => {
    const log = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    expect(lastLines(log, 3)).toBe('… [97 earlier lines omitted]\nline 97\nline 98\nline 99');
    const tail = truncateTextTail(log, 100);
    expect(tail.length).toBeLessThanOrEqual(100);
    expect(tail.endsWith('line 99')).toBe(true);
    expect(tail).toMatch(/^… \[truncated [\d,]+ earlier characters\]\n/);
  });

  it('escapes inline markdown so it renders as the literal text', () => {
    const escaped = escapeMarkdownInline('a | b *c* `d` [e](f) <b>&</b> @org/team\n# g owner/repo#12');
    expect(escaped.replace(/<br>/g, '')).not.toMatch(/[|*`[\]()<>]/);
    expect(escaped).not.toContain('@org');
    // The mention is broken, the heading mark stays literal text, no issue reference survives
    // decoding, and markup is shown as text.
    const literals = ['@&#8203;org', '<br>&#35;&#8203; g', 'repo&#35;&#8203;12', '&lt;b&gt;&amp;&lt;/b&gt;'];
    for (const literal of literals) expect(escaped).toContain(literal);
    expect(escapeMarkdownInline('\u202e\u001b[31mx')).toBe('x');
  });

  it('makes code blocks that untrusted text cannot close', () => {
    const block = codeBlock('</pre></code>\n```\n@org/team\n::error::x\n##[error]y');
    expect(block.startsWith('<pre><code>')).toBe(true);
    expect(block.endsWith('</code></pre>')).toBe(true);
    expect(block.match(/<\/pre>/g)).toHaveLength(1);
    expect(block).not.toContain('@org');
    expect(commandLines(block)).toEqual([]);
    expect(block).toContain('&lt;/pre&gt;&lt;/code&gt;\n&#96;&#96;&#96;\n');
  });

  it('defangs workflow commands with a visible marker', () => {
    const defanged = defangWorkflowCommands(HOSTILE);
    expect(commandLines(defanged)).toEqual([]);
    const marked = [
      '» ::error::x',
      '»   ::set-output name=score::100',
      '##»[set-output',
      'carriage\n» ::error::hidden after CR',
    ];
    for (const command of marked) expect(defanged).toContain(command);
    const plain = 'a :: b\nok';
    expect(defangWorkflowCommands(plain)).toBe(plain);
  });

  it('wraps untrusted log text between stop-commands markers', () => {
    const token = newStopToken();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(newStopToken()).not.toBe(token);

    const wrapped = wrapUntrustedLog(`${HOSTILE}\n::${token}::\n`, token);
    const lines = wrapped.split('\n');
    expect(lines[0]).toBe(`::stop-commands::${token}`);
    expect(lines.at(-1)).toBe(`::${token}::`);
    expect(commandLines(lines.slice(1, -1).join('\n'))).toEqual([]);
    expectNoHostileCharacters(wrapped);
    expect(() => wrapUntrustedLog('x', 'short')).toThrow(/stop token/);
    expect(() => wrapUntrustedLog('x', 'has::colons-and-more-than-16')).toThrow(/stop token/);
  });
});

describe('renderText', () => {
  it('shows expected, actual, hint and location for a failure', () => {
    const text = renderText(smallReport());
    expect(text).toContain('  ✘ [0/5] prints the greeting\n');
    expect(text).toContain('      expected: Hello from Docker!\n                Bye\n');
    expect(text).toContain('      actual:   Hello from Python!\n');
    expect(text).toContain('      hint:     Look at the CMD line of your Dockerfile.\n');
    expect(text).toContain('      at:       exercises/images/hello/exercise.yaml:12:5\n');
    expect(text).toContain('  ! [0/2] answers on port 8080\n');
    expect(text).toContain('Total: 3/12 — grading error\n');
    expect(text).not.toContain(ESC);
  });

  it('lays the report out for a student', () => {
    expect(renderText(smallReport())).toMatchInlineSnapshot(`
      "Exercise images/hello — Hello, Docker: 3/10 (failed)
        ✔ [3/3] image builds
        ✘ [0/5] prints the greeting
            The output differs from the expected text.
            expected: Hello from Docker!
                      Bye
            actual:   Hello from Python!
            hint:     Look at the CMD line of your Dockerfile.
            at:       exercises/images/hello/exercise.yaml:12:5
        - [0/2] image is smaller than 100 MB (skipped)
            Not run: the container did not start.

      Exercise compose/web — A web stack: 0/2 (error)
        setup error: The Docker engine stopped answering.
        ! [0/2] answers on port 8080
            Could not reach the container: ECONNRESET
        log (last 40 lines):
        │ Step 1/3 : FROM python:3.11-slim
        │ Step 2/3 : COPY . /app
        │ error: connection reset

      Total: 3/12 — grading error
      The grader or the Docker engine failed; this grade is incomplete. Re-run the grading.
      "
    `);
  });

  it('shows an empty value as (empty) rather than as nothing', () => {
    const report = oneExerciseReport([
      check({ name: 'prints', status: 'fail', expected: 'Hello', actual: '' }),
    ]);
    expect(renderText(report)).toContain('      actual:   (empty)\n');
    expect(renderMarkdown(report)).toContain('**Actual**\n\n_(empty)_\n');
  });

  it('colours only when asked', () => {
    const report = oneExerciseReport([check({ name: 'x', status: 'pass' })]);
    expect(renderText(report)).not.toContain(ESC);
    expect(renderText(report, { color: true })).toContain(`${ESC}[32m✔${ESC}[0m`);
    expect(renderText(report)).toContain('Total: 1/1 — passed');
  });

  it('neutralises hostile text and caps its size', () => {
    const text = renderText(hostileReport());
    expectNoHostileCharacters(text);
    expect(commandLines(text)).toEqual([]);
    expect(text).toContain('[truncated');
    expect(text).toContain('earlier lines omitted]');
    expect(text.length).toBeLessThan(30_000);
    // Every line of a multi-line title stays on the exercise's header line.
    expect(text.split('\n')[0]).toBe(
      'Exercise evil</pre>@org/team — Title  ::error::x ::set-output name=score::100: 1/4 (error)',
    );

    const wrapped = wrapUntrustedLog(text, newStopToken());
    expect(commandLines(wrapped.split('\n').slice(1, -1).join('\n'))).toEqual([]);
  });
});

describe('renderMarkdown', () => {
  it('lays the summary out for a student', () => {
    expect(renderMarkdown(smallReport())).toMatchInlineSnapshot(`
      "## ⚠️ Docker autograder: 3/12 points

      ▰▰▱▱▱▱▱▱▱▱ 25% · **grading error** · 2 exercises · 4.6 s

      > [!WARNING]
      > The grader or the Docker engine failed, so this grade is incomplete. This is not the
      > submission’s fault: re-run the job.

      ### ❌ images/hello — Hello, Docker · 3/10

      | | Check | Points |
      | :-: | --- | --: |
      | ✅ | image builds | 3/3 |
      | ❌ | prints the greeting | 0/5 |
      | ⏭️ | image is smaller than 100 MB | 0/2 |

      <details>
      <summary>❌ prints the greeting (0/5): The output differs from the expected text&#46;</summary>

      **Expected vs actual** (\`-\` expected, \`+\` actual)

      <pre><code>--- expected
      +++ actual
      -Hello from Docker!
      -Bye
      +Hello from Python!</code></pre>

      **Hint:** Look at the CMD line of your Dockerfile&#46;

      **Where:** exercises/images/hello/exercise&#46;yaml&#58;12&#58;5

      </details>

      ### ⚠️ compose/web — A web stack · 0/2

      **Setup failed:** The Docker engine stopped answering&#46;

      | | Check | Points |
      | :-: | --- | --: |
      | ⚠️ | answers on port 8080 | 0/2 |

      ⚠️ answers on port 8080 (0/2): Could not reach the container&#58; ECONNRESET

      <details>
      <summary>📄 compose/web — A web stack: log excerpt (last 40 lines)</summary>

      <pre><code>Step 1/3 : FROM python:3.11-slim
      Step 2/3 : COPY . /app
      error: connection reset</code></pre>

      </details>
      "
    `);
  });

  it('draws a progress bar rounded down', () => {
    expect(progressBar(4, 10)).toBe('▰▰▰▰▱▱▱▱▱▱ 40%');
    expect(progressBar(199, 200)).toBe('▰▰▰▰▰▰▰▰▰▱ 99%');
    expect(progressBar(0, 0)).toBe('▱▱▱▱▱▱▱▱▱▱ 0%');
    expect(progressBar(10, 10)).toBe('▰▰▰▰▰▰▰▰▰▰ 100%');
  });

  it('escapes hostile text and keeps every block closed', () => {
    const markdown = renderMarkdown(hostileReport());
    expectInertMarkdown(markdown);
    expect(markdown).toContain('&lt;/pre&gt;&lt;script&gt;');
    expect(markdown).toContain('more lines omitted]');
    expect(markdown).not.toContain('Details truncated');
  });

  it.each([
    ['the PR comment limit', COMMENT_MAX_CHARS],
    ['a small cap', 3_000],
    ['a tiny cap', 400],
    ['an absurd cap', 40],
  ])('stays within %s and says details were truncated', (_name, maxChars) => {
    const markdown = renderMarkdown(hostileReport(300), { maxChars });
    expect(Buffer.byteLength(markdown, 'utf8')).toBeLessThanOrEqual(maxChars);
    expect(markdown.length).toBeLessThanOrEqual(maxChars);
    expectInertMarkdown(markdown);
    if (maxChars >= 3_000) {
      expect(markdown).toContain('Details truncated');
      expect(markdown).toContain('Docker autograder');
    }
  });

  it('drops details from the end first', () => {
    const markdown = renderMarkdown(hostileReport(300), { maxChars: COMMENT_MAX_CHARS });
    expect(markdown).toMatch(/<summary>❌ ::set-output|<summary>❌ &#58;&#58;set&#45;output/);
    expect(markdown).toContain('check 0 ');
    expect(markdown).not.toContain('<summary>❌ check 299');
    expect(markdown).toMatch(/the details of [\d,]+ of 303 failed checks and logs were left out/);
    // The table still lists every check.
    expect(markdown).toContain('| ❌ | check 299 &#58;&#58;error&#58;&#58;x | 0/1 |');
  });

  it('shortens every detail before it drops any', () => {
    const markdown = renderMarkdown(hostileReport(5), { maxChars: COMMENT_MAX_CHARS });
    expect(markdown).not.toContain('Details truncated');
    expect(markdown.match(/<details>/g)?.length).toBe(8);
    expect(markdown.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
  });
});

describe('renderJson', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(reportSchema);

  it.each([
    ['a small report', smallReport()],
    ['a hostile report', hostileReport(3)],
    ['an empty report', gradeReport([], 0)],
  ])('validates against schema/report.schema.json: %s', (_name, report) => {
    const json = renderJson(report);
    const valid = validate(JSON.parse(json));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('keeps the data unchanged and in the model key order', () => {
    const report = hostileReport();
    const json = renderJson(report);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(renderJson(smallReport()));
    expect(Object.keys(parsed)).toEqual([
      'version',
      'score',
      'maxScore',
      'passed',
      'durationMs',
      'exercises',
    ]);
    expect(Object.keys(parsed.exercises[1])).toEqual([
      'id',
      'title',
      'specFile',
      'score',
      'maxScore',
      'status',
      'durationMs',
      'setupError',
      'setupLog',
      'checks',
    ]);
    expect(Object.keys(parsed.exercises[0].checks[1])).toEqual([
      'name',
      'status',
      'points',
      'maxPoints',
      'message',
      'expected',
      'actual',
      'hint',
      'location',
    ]);
    expect(Object.keys(parsed.exercises[0].checks[0])).toEqual([
      'name',
      'status',
      'points',
      'maxPoints',
      'message',
    ]);
  });

  it('is safe to print: no raw bidi characters and no legacy workflow commands', () => {
    const json = renderJson(hostileReport());
    expect(json).not.toMatch(BIDI);
    expect(json).not.toMatch(CONTROL);
    expect(commandLines(json)).toEqual([]);
    expect(json).toContain('\\u202e');
  });

  it('rejects reports that break the schema', () => {
    const broken = JSON.parse(renderJson(smallReport()));
    broken.exercises[0].checks[0].status = 'maybe';
    broken.exercises[0].extra = true;
    expect(validate(broken)).toBe(false);
  });
});
