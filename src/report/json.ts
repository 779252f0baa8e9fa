// The machine-readable report (`--format json`, the action's report file), described by
// schema/report.schema.json. The data is kept exactly as graded: consumers get the student's
// text unchanged, and only the serialisation is made safe to print.
import type { SourceLocation } from '../shared/errors';
import type { CheckResult, ExerciseResult, GradeReport } from './model';

/** Pretty JSON in the model's key order, ending with a newline. */
export function renderJson(report: GradeReport): string {
  return `${escapeForDisplay(JSON.stringify(orderReport(report), null, 2))}\n`;
}

// Each object literal below is typed as a record over *all* of the model's keys, optional ones
// included, so a field added to the model is a compile error here rather than silently missing
// from the report. JSON.stringify drops the keys whose value is undefined.
function orderReport(report: GradeReport): Record<keyof GradeReport, unknown> {
  return {
    version: report.version,
    score: report.score,
    maxScore: report.maxScore,
    passed: report.passed,
    durationMs: report.durationMs,
    exercises: report.exercises.map(orderExercise),
  };
}

function orderExercise(exercise: ExerciseResult): Record<keyof ExerciseResult, unknown> {
  return {
    id: exercise.id,
    title: exercise.title,
    specFile: exercise.specFile,
    score: exercise.score,
    maxScore: exercise.maxScore,
    status: exercise.status,
    durationMs: exercise.durationMs,
    setupError: exercise.setupError,
    setupLog: exercise.setupLog,
    firstError: exercise.firstError,
    checks: exercise.checks.map(orderCheck),
  };
}

function orderCheck(check: CheckResult): Record<keyof CheckResult, unknown> {
  return {
    name: check.name,
    status: check.status,
    points: check.points,
    maxPoints: check.maxPoints,
    message: check.message,
    expected: check.expected,
    actual: check.actual,
    hint: check.hint,
    firstError: check.firstError,
    location: check.location === undefined ? undefined : orderLocation(check.location),
    specLocation: check.specLocation === undefined ? undefined : orderLocation(check.specLocation),
    causedBySetup: check.causedBySetup,
    diff: check.diff,
    hidden: check.hidden,
  };
}

function orderLocation(location: SourceLocation): Record<keyof SourceLocation, unknown> {
  return { file: location.file, line: location.line, column: location.column };
}

// JSON.stringify already escapes C0 controls. What it leaves raw are C1 controls, invisible
// format characters (bidi overrides that reorder what a reader sees in an editor or terminal)
// and line/paragraph separators; and `##[`, which the Actions runner takes for a legacy workflow
// command anywhere in a printed line. Outside strings a JSON text is plain ASCII, so these can
// only occur inside strings, where a \uXXXX escape decodes to the very same data.
const DISPLAY_UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]|##\[/gu;

function escapeForDisplay(json: string): string {
  return json.replace(DISPLAY_UNSAFE, (match) => (match === '##[' ? '#\\u0023[' : unicodeEscape(match)));
}

function unicodeEscape(text: string): string {
  let escaped = '';
  for (let index = 0; index < text.length; index += 1) {
    escaped += `\\u${text.charCodeAt(index).toString(16).padStart(4, '0')}`;
  }
  return escaped;
}
