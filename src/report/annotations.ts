// Annotations for failed checks: on the student's file and line when the check has a location
// there, else on no file (the exercise spec is the instructor's, not the student's to read).
// Pure: the action turns them into workflow commands (limited per step) or check-run annotations
// (sent 50 at a time; a check run carries only those on a file). Messages are plain text for
// GitHub's UI, stripped of anything invisible and capped at GitHub's sizes.
import path from 'node:path';
import type { CheckResult, ExerciseResult, GradeReport } from './model';
import { defangWorkflowCommands, firstLines, oneLine, stripUnsafe, truncateText } from './sanitize';

export type AnnotationLevel = 'error' | 'warning';

export interface Annotation {
  level: AnnotationLevel;
  /** Relative to the workspace, with `/` separators; undefined when the file lies outside it. */
  file?: string;
  line: number;
  column?: number;
  title: string;
  message: string;
}

export interface AnnotationOptions {
  /** GITHUB_WORKSPACE: annotation paths are relative to it. */
  workspace: string;
  /** What relative paths in the report are relative to (the grader's working directory). */
  cwd: string;
}

// Check runs take 255 characters of title and 64 KB of message; workflow commands have no stated
// limit, but a wall of text in an annotation helps nobody.
const MAX_TITLE_CHARS = 250;
const MAX_MESSAGE_CHARS = 4_000;
const MAX_VALUE_LINES = 15;
const MAX_VALUE_CHARS = 1_000;
const MAX_PATH_CHARS = 1_000;

/** GitHub shows at most this many annotations of each level from one step's workflow commands. */
export const STEP_ANNOTATION_LIMIT = 10;
/** The Checks API takes at most this many annotations per request. */
export const CHECK_RUN_BATCH = 50;

export function annotationsOf(report: GradeReport, options: AnnotationOptions): Annotation[] {
  return report.exercises.flatMap((exercise) =>
    exercise.checks
      .filter((check) => check.status === 'fail' || check.status === 'error')
      .map((check) => annotationOf(exercise, check, options)),
  );
}

function annotationOf(exercise: ExerciseResult, check: CheckResult, options: AnnotationOptions): Annotation {
  const hidden = check.hidden === true;
  // A hidden check's own location could point at what it tests, so it goes on no file.
  const location = hidden ? undefined : check.location;
  const file = location === undefined ? undefined : relativePath(location.file, options);
  const title = truncateText(
    oneLine(`${exercise.id}: ${check.name} (${check.points}/${check.maxPoints} points)`),
    MAX_TITLE_CHARS,
  );
  const annotation: Annotation = {
    // An error is the grader's or the engine's failure, not the student's: a warning, not an error.
    level: check.status === 'error' ? 'warning' : 'error',
    file,
    line: location?.line ?? 1,
    title: defangWorkflowCommands(title),
    message: defangWorkflowCommands(hidden ? 'This check failed; its details are hidden.' : describe(check)),
  };
  if (location !== undefined) annotation.column = location.column;
  return annotation;
}

function describe(check: CheckResult): string {
  const value = (raw: string): string =>
    truncateText(firstLines(stripUnsafe(raw), MAX_VALUE_LINES), MAX_VALUE_CHARS);
  const parts = [stripUnsafe(check.message)];
  if (check.firstError !== undefined) parts.push(`First error: ${oneLine(check.firstError)}`);
  if (check.expected !== undefined) parts.push(`Expected: ${value(check.expected)}`);
  if (check.actual !== undefined) parts.push(`Actual: ${value(check.actual)}`);
  if (check.hint !== undefined && check.hint !== '') parts.push(`Hint: ${stripUnsafe(check.hint)}`);
  const message = truncateText(parts.join('\n'), MAX_MESSAGE_CHARS);
  return message.trim() === '' ? 'failed' : message;
}

/**
 * `file` relative to the workspace with forward slashes, or undefined when it is outside the
 * workspace (GitHub could not show it on a file, and a `../` path would only confuse).
 */
export function relativePath(file: string, options: AnnotationOptions): string | undefined {
  const clean = oneLine(file);
  if (clean === '' || clean.length > MAX_PATH_CHARS) return undefined;
  const relative = path.relative(path.resolve(options.workspace), path.resolve(options.cwd, clean));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join('/');
}

export interface StepAnnotations {
  annotations: Annotation[];
  /** Failed checks that did not fit within the per-step limits. */
  omitted: number;
}

/**
 * What one step can show as workflow commands: at most 10 errors and 10 warnings. When there are
 * more, the last slot of that level says how many were left out and where to find them.
 */
export function limitForStep(annotations: Annotation[], limit = STEP_ANNOTATION_LIMIT): StepAnnotations {
  const kept: Annotation[] = [];
  let omitted = 0;
  for (const level of ['error', 'warning'] as const) {
    const ofLevel = annotations.filter((annotation) => annotation.level === level);
    if (ofLevel.length <= limit) {
      kept.push(...ofLevel);
      continue;
    }
    const shown = ofLevel.slice(0, limit - 1);
    const left = ofLevel.length - shown.length;
    omitted += left;
    kept.push(...shown, {
      level,
      line: 1,
      title: `${left} more failed checks`,
      message: `${left} more failed checks are not annotated here (GitHub shows ${limit} per level and step); the job summary lists them all.`,
    });
  }
  return { annotations: kept, omitted };
}

/** Splits annotations into Checks API requests of at most 50. */
export function batches<T>(items: T[], size = CHECK_RUN_BATCH): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
