// The gradebook of a class regrade: one row per student and exercise, each with its checks'
// outcomes. Pure: rows from reports, CSV and JSON text, parsing (for merging the shards of a
// matrix regrade) and merging.

import type { CheckResult, CheckStatus, ExerciseStatus, GradeReport } from '../report/model';
import { UsageError } from '../shared/errors';
import { isRecord } from '../shared/records';

/** One check's outcome for one student: what the class report's statistics are made of. */
export interface GradebookCheck {
  name: string;
  status: CheckStatus;
  points: number;
  maxPoints: number;
  /** The check's short message (its first line, cut); empty for a hidden check. */
  message: string;
  /** The check's hint, when it did not pass; never for a hidden check. */
  hint?: string;
  /** The exercise keeps this check's details secret: only its outcome is kept. */
  hidden?: boolean;
}

export interface GradebookRow {
  student: string;
  exercise: string;
  score: number;
  maxScore: number;
  status: ExerciseStatus;
  durationMs: number;
  /** For status error: what broke (the engine, not the student), cut to one line. */
  error?: string;
  /** Absent in gradebooks written before checks were kept. */
  checks?: GradebookCheck[];
}

export interface Gradebook {
  version: 1;
  rows: GradebookRow[];
}

const STATUSES: readonly ExerciseStatus[] = ['pass', 'fail', 'error'];
const CHECK_STATUSES: readonly CheckStatus[] = ['pass', 'fail', 'error', 'skipped'];
const CSV_COLUMNS = ['student', 'exercise', 'score', 'max_score', 'status', 'duration_ms'] as const;
const CHECK_CSV_COLUMNS = [
  'student',
  'exercise',
  'check',
  'status',
  'points',
  'max_points',
  'message',
] as const;
/** A gradebook row is about the class, not a student's full report: messages are cut to this. */
export const SHORT_MESSAGE_CHARS = 200;

export function rowsFromReport(student: string, report: GradeReport): GradebookRow[] {
  return report.exercises.map((exercise) => ({
    student,
    exercise: exercise.id,
    score: exercise.score,
    maxScore: exercise.maxScore,
    status: exercise.status,
    durationMs: exercise.durationMs,
    ...(exercise.status === 'error' && exercise.setupError !== undefined
      ? { error: shortText(exercise.setupError) }
      : {}),
    checks: exercise.checks.map(checkOf),
  }));
}

/** A hidden check keeps its outcome (status, points) and nothing of what it looked at. */
function checkOf(check: CheckResult): GradebookCheck {
  const outcome = {
    name: check.name,
    status: check.status,
    points: check.points,
    maxPoints: check.maxPoints,
  };
  if (check.hidden === true) return { ...outcome, message: '', hidden: true };
  const hint = check.status !== 'pass' && check.hint !== undefined ? { hint: shortText(check.hint) } : {};
  return { ...outcome, message: shortText(check.message), ...hint };
}

/** The first non-empty line, cut to SHORT_MESSAGE_CHARS characters (not UTF-16 halves). */
export function shortText(text: string): string {
  const line = text.split(/\r?\n/).find((candidate) => candidate.trim() !== '') ?? '';
  const chars = [...line.trim()];
  return chars.length <= SHORT_MESSAGE_CHARS
    ? chars.join('')
    : `${chars.slice(0, SHORT_MESSAGE_CHARS - 1).join('')}…`;
}

/** Rows ordered by student, then exercise, so that a gradebook's text does not depend on timing. */
export function gradebookOf(rows: GradebookRow[]): Gradebook {
  const sorted = [...rows].sort(
    (a, b) => compareText(a.student, b.student) || compareText(a.exercise, b.exercise),
  );
  return { version: 1, rows: sorted };
}

export function renderGradebookJson(book: Gradebook): string {
  return `${JSON.stringify(book, null, 2)}\n`;
}

/** RFC 4180 CSV, with a header row. */
export function renderGradebookCsv(book: Gradebook): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of book.rows) {
    lines.push(
      [row.student, row.exercise, row.score, row.maxScore, row.status, row.durationMs].map(csvCell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** checks.csv: one line per student, exercise and check, in the gradebook's order. */
export function renderChecksCsv(book: Gradebook): string {
  const lines = [CHECK_CSV_COLUMNS.join(',')];
  for (const row of book.rows) {
    for (const check of row.checks ?? []) {
      lines.push(
        [row.student, row.exercise, check.name, check.status, check.points, check.maxPoints, check.message]
          .map(csvCell)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(value: string | number): string {
  let text = String(value);
  // A spreadsheet runs a cell that starts like a formula; a folder name is not a formula.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A gradebook.json written by this tool; `source` names it in errors. */
export function parseGradebook(text: string, source: string): Gradebook {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(data) || data.version !== 1 || !Array.isArray(data.rows)) {
    throw new UsageError(`${source} is not a docker-autograder gradebook (version 1 with rows)`);
  }
  const rows = data.rows.map((row: unknown, index: number) => {
    const parsed = parseRow(row);
    if (parsed === undefined) throw new UsageError(`${source}: row ${index + 1} is not a gradebook row`);
    return parsed;
  });
  return { version: 1, rows };
}

function parseRow(row: unknown): GradebookRow | undefined {
  if (!isRecord(row)) return undefined;
  const { student, exercise, score, maxScore, status, durationMs, error, checks } = row;
  if (typeof student !== 'string' || typeof exercise !== 'string') return undefined;
  if (typeof score !== 'number' || typeof maxScore !== 'number' || typeof durationMs !== 'number')
    return undefined;
  if (!STATUSES.includes(status as ExerciseStatus)) return undefined;
  if (error !== undefined && typeof error !== 'string') return undefined;
  const parsed: GradebookRow = {
    student,
    exercise,
    score,
    maxScore,
    status: status as ExerciseStatus,
    durationMs,
  };
  if (error !== undefined) parsed.error = error;
  if (checks !== undefined) {
    if (!Array.isArray(checks)) return undefined;
    const parsedChecks = checks.map(parseCheck);
    if (parsedChecks.some((check) => check === undefined)) return undefined;
    parsed.checks = parsedChecks as GradebookCheck[];
  }
  return parsed;
}

function parseCheck(check: unknown): GradebookCheck | undefined {
  if (!isRecord(check)) return undefined;
  const { name, status, points, maxPoints, message, hint, hidden } = check;
  if (typeof name !== 'string' || typeof message !== 'string') return undefined;
  if (typeof points !== 'number' || typeof maxPoints !== 'number') return undefined;
  if (!CHECK_STATUSES.includes(status as CheckStatus)) return undefined;
  if (hint !== undefined && typeof hint !== 'string') return undefined;
  if (hidden !== undefined && hidden !== true) return undefined;
  const parsed: GradebookCheck = { name, status: status as CheckStatus, points, maxPoints, message };
  // A hidden check's details stay out even of a hand-edited gradebook.
  if (hidden === true) return { ...parsed, message: '', hidden: true };
  if (hint !== undefined) parsed.hint = hint;
  return parsed;
}

/**
 * The gradebooks of a sharded regrade as one. Shards partition the students, so a student in
 * two of them means the shards were not cut from the same class list: that is an error, not a
 * choice between two grades.
 */
export function mergeGradebooks(books: Array<{ source: string; book: Gradebook }>): Gradebook {
  const owner = new Map<string, string>();
  const rows: GradebookRow[] = [];
  for (const { source, book } of books) {
    for (const student of new Set(book.rows.map((row) => row.student))) {
      const earlier = owner.get(student);
      if (earlier !== undefined) {
        throw new UsageError(`student "${student}" is in both ${earlier} and ${source}`);
      }
      owner.set(student, source);
    }
    rows.push(...book.rows);
  }
  return gradebookOf(rows);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
