// Building blocks of the report tests (test/unit/report, github): check results with defaults,
// the hostile program output they all feed the renderers, and the properties every rendering must
// keep (no control or bidi characters, no workflow command, balanced markdown).
import { expect } from 'vitest';
import { type CheckResult, exerciseResult, type GradeReport, gradeReport } from '../../src/report/model';

export const ESC = '\u001b';
export const BIDI = /[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
// Control characters other than \t and \n, and any escape character at all.
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/**
 * Program output that tries every trick on a report: workflow commands (at a line's start,
 * indented, in the ##[ syntax and after a bare CR), terminal escapes and hyperlinks, bidi and
 * zero-width characters, markup that would close our blocks, mentions, and code fences.
 */
export const HOSTILE_LINES = [
  '::error::x',
  '  ::set-output name=score::100',
  '::add-mask::secret',
  '  ::stop-commands::guess',
  'text ##[set-output name=score;]100',
  `${ESC}[31mred${ESC}[0m and ${ESC}]8;;https://evil.example${ESC}\\link${ESC}]8;;${ESC}\\`,
  'abc\u202edcba\u2066iso\u2069 \u200bzw \ufffd',
  '</pre></code></details><script>alert(1)</script>',
  '@org/team please look, cc @someone',
  '```` ``` ` backticks ]]> <![CDATA[',
  'carriage\r::error::hidden after CR',
];
export const HOSTILE = HOSTILE_LINES.join('\n');

/** A check result: one point if it passes, none if not, unless `overrides` says otherwise. */
export function checkResult(
  overrides: Partial<CheckResult> & Pick<CheckResult, 'name' | 'status'>,
): CheckResult {
  const pass = overrides.status === 'pass';
  return { points: pass ? 1 : 0, maxPoints: 1, message: pass ? 'passed' : 'failed', ...overrides };
}

/** A report of the one exercise `exercise`, the run taking `durationMs` (as long as the exercise). */
export function singleExerciseReport(
  exercise: Parameters<typeof exerciseResult>[0],
  durationMs = exercise.durationMs,
): GradeReport {
  return gradeReport([exerciseResult(exercise)], durationMs);
}

/** A report of one exercise "a" (a.yaml, 1 ms) with these checks. */
export function oneExerciseReport(checks: CheckResult[]): GradeReport {
  return singleExerciseReport({ id: 'a', title: 'A', specFile: 'a.yaml', durationMs: 1, checks });
}

/** About 100 kB of program output: `count` numbered lines, each one of `lines` in turn. */
export function flood(lines: string[], count: number): string {
  return Array.from({ length: count }, (_, i) => `${String(i).padStart(4, '0')} ${lines[i % lines.length]}`)
    .join('\n')
    .slice(0, 100_000);
}

// About 100 kB of program output, hostile on every line.
export const FLOOD = flood(HOSTILE_LINES, 2_500);

/** Lines the Actions runner would read as a workflow command (either syntax). */
export function commandLines(output: string): string[] {
  return output
    .split(/\r\n|\r|\n/)
    .filter((line) => line.trimStart().startsWith('::') || line.includes('##['));
}

export function expectNoHostileCharacters(output: string): void {
  expect(output).not.toMatch(BIDI);
  expect(output).not.toMatch(CONTROL);
  expect(output).not.toContain(ESC);
}

/** Every tag we open is closed, no code fence is left, and table rows keep their three cells. */
export function expectBalancedMarkdown(markdown: string): void {
  for (const tag of ['details', 'summary', 'pre', 'code']) {
    const opened = markdown.match(new RegExp(`<${tag}>`, 'g'))?.length ?? 0;
    const closed = markdown.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
    expect(closed, `<${tag}> balanced`).toBe(opened);
  }
  expect(markdown).not.toContain('```');
  // No student pipe splits a cell.
  for (const line of markdown.split('\n').filter((row) => row.startsWith('|'))) {
    expect(line.split('|').length, line).toBe(5);
  }
}
