// The CLI's human-readable report. The same text may end up in a GitHub Actions log (the action
// prints it too), so every student-controlled value is stripped and defanged, not only the
// values that look dangerous in a terminal.
import type { CheckResult, CheckStatus, ExerciseResult, ExerciseStatus, GradeReport } from './model';
import { hasInfraError } from './model';
import {
  defangWorkflowCommands,
  firstLines,
  lastLines,
  oneLine,
  truncateText,
  truncateTextTail,
} from './sanitize';

export interface TextOptions {
  /** Emit ANSI colours (only for an interactive terminal; the caller decides). */
  color?: boolean;
}

const MAX_VALUE_CHARS = 2_000;
const MAX_VALUE_LINES = 40;
const MAX_NAME_CHARS = 200;
const LOG_LINES = 40;
const MAX_LOG_CHARS = 8_000;

const CHECK_MARK: Record<CheckStatus, string> = { pass: '✔', fail: '✘', error: '!', skipped: '-' };
const CHECK_COLOR: Record<CheckStatus, Style> = {
  pass: 'green',
  fail: 'red',
  error: 'yellow',
  skipped: 'dim',
};
const EXERCISE_WORD: Record<ExerciseStatus, string> = { pass: 'passed', fail: 'failed', error: 'error' };
const EXERCISE_COLOR: Record<ExerciseStatus, Style> = { pass: 'green', fail: 'red', error: 'yellow' };

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow';
const SGR: Record<Style, string> = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33' };

// Labels share one width so multi-line values line up under each other.
const LABEL_WIDTH = 'expected: '.length;
const CHECK_INDENT = '  ';
const DETAIL_INDENT = '      ';

export function renderText(report: GradeReport, options: TextOptions = {}): string {
  const paint = (style: Style, text: string): string =>
    options.color === true ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
  const lines: string[] = [];

  if (report.exercises.length === 0) {
    lines.push('No exercises were graded.');
  }
  for (const exercise of report.exercises) {
    lines.push(...renderExercise(exercise, paint), '');
  }

  const verdict = report.passed ? 'passed' : hasInfraError(report) ? 'grading error' : 'not passed';
  const verdictStyle: Style = report.passed ? 'green' : hasInfraError(report) ? 'yellow' : 'red';
  lines.push(paint('bold', `Total: ${report.score}/${report.maxScore} — ${paint(verdictStyle, verdict)}`));
  if (hasInfraError(report)) {
    lines.push('The grader or the Docker engine failed; this grade is incomplete. Re-run the grading.');
  }
  return `${lines.join('\n')}\n`;
}

type Paint = (style: Style, text: string) => string;

function renderExercise(exercise: ExerciseResult, paint: Paint): string[] {
  const title = name(exercise.title);
  const heading = title === '' ? name(exercise.id) : `${name(exercise.id)} — ${title}`;
  const status = paint(EXERCISE_COLOR[exercise.status], EXERCISE_WORD[exercise.status]);
  const lines = [
    paint('bold', `Exercise ${heading}: ${exercise.score}/${exercise.maxScore} (`) +
      status +
      paint('bold', ')'),
  ];

  // The setup error comes first: it explains why the checks below were skipped.
  if (exercise.setupError !== undefined) {
    lines.push(...labelled(CHECK_INDENT, 'setup error:', exercise.setupError, paint));
  }
  // The cause, which the log's tail (shown last) may have cut.
  if (exercise.firstError !== undefined) {
    lines.push(...labelled(CHECK_INDENT, 'first error:', oneLine(exercise.firstError), paint));
  }
  for (const check of exercise.checks) {
    lines.push(...renderCheck(check, paint));
  }
  if (exercise.setupLog !== undefined && exercise.setupLog !== '') {
    lines.push(`${CHECK_INDENT}${paint('dim', `log (last ${LOG_LINES} lines):`)}`);
    const excerpt = truncateTextTail(lastLines(clean(exercise.setupLog), LOG_LINES), MAX_LOG_CHARS);
    lines.push(...excerpt.split('\n').map((line) => `${CHECK_INDENT}${paint('dim', '│')} ${line}`));
  }
  return lines;
}

function renderCheck(check: CheckResult, paint: Paint): string[] {
  const mark = paint(CHECK_COLOR[check.status], CHECK_MARK[check.status]);
  const suffix = check.status === 'skipped' ? paint('dim', ' (skipped)') : '';
  const hidden = check.hidden === true ? paint('dim', ' (hidden)') : '';
  const lines = [
    `${CHECK_INDENT}${mark} [${check.points}/${check.maxPoints}] ${name(check.name)}${suffix}${hidden}`,
  ];
  // A hidden check shows its name, status and points only: the details would give the test away.
  if (check.status === 'pass' || check.hidden === true) {
    return lines;
  }

  if (check.message !== '') {
    lines.push(...block(DETAIL_INDENT, value(check.message)));
  }
  if (check.status === 'skipped') {
    return lines;
  }
  if (check.firstError !== undefined) {
    lines.push(...labelled(DETAIL_INDENT, 'first error:', oneLine(check.firstError), paint));
  }
  if (check.expected !== undefined) {
    lines.push(...labelled(DETAIL_INDENT, 'expected:', check.expected, paint));
  }
  if (check.actual !== undefined) {
    lines.push(...labelled(DETAIL_INDENT, 'actual:', check.actual, paint));
  }
  if (check.hint !== undefined && check.hint !== '') {
    lines.push(...labelled(DETAIL_INDENT, 'hint:', check.hint, paint));
  }
  // Only a place in the student's own files: the exercise spec is the instructor's.
  if (check.location !== undefined) {
    const { file, line, column } = check.location;
    lines.push(...labelled(DETAIL_INDENT, 'at:', `${oneLine(file)}:${line}:${column}`, paint));
  }
  return lines;
}

/** `label value`, with continuation lines indented under the value's first line. */
function labelled(indent: string, label: string, raw: string, paint: Paint): string[] {
  const width = Math.max(LABEL_WIDTH, label.length + 1);
  const [first = '', ...rest] = value(raw).split('\n');
  const continuation = indent + ' '.repeat(width);
  return [
    `${indent}${paint('dim', label.padEnd(width))}${first}`,
    ...rest.map((line) => continuation + line),
  ];
}

function block(indent: string, text: string): string[] {
  return text.split('\n').map((line) => indent + line);
}

// An empty string is a meaningful value ("the program printed nothing") and must not look like
// a missing line.
function value(raw: string): string {
  const text = clean(raw);
  if (text === '') {
    return '(empty)';
  }
  return truncateText(firstLines(text, MAX_VALUE_LINES), MAX_VALUE_CHARS);
}

function name(raw: string): string {
  return defangWorkflowCommands(truncateText(oneLine(raw), MAX_NAME_CHARS).replace(/\n/g, ' '));
}

function clean(raw: string): string {
  return defangWorkflowCommands(raw);
}
