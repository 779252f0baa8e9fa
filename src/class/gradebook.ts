// The gradebook of a class regrade: one row per student and exercise. Pure: rows from reports,
// CSV and JSON text, parsing (for merging the shards of a matrix regrade) and merging.
import { UsageError } from '../errors';
import type { ExerciseStatus, GradeReport } from '../report/model';

export interface GradebookRow {
  student: string;
  exercise: string;
  score: number;
  maxScore: number;
  status: ExerciseStatus;
  durationMs: number;
}

export interface Gradebook {
  version: 1;
  rows: GradebookRow[];
}

const STATUSES: readonly ExerciseStatus[] = ['pass', 'fail', 'error'];
const CSV_COLUMNS = ['student', 'exercise', 'score', 'max_score', 'status', 'duration_ms'] as const;

export function rowsFromReport(student: string, report: GradeReport): GradebookRow[] {
  return report.exercises.map((exercise) => ({
    student,
    exercise: exercise.id,
    score: exercise.score,
    maxScore: exercise.maxScore,
    status: exercise.status,
    durationMs: exercise.durationMs,
  }));
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
  const { student, exercise, score, maxScore, status, durationMs } = row;
  if (typeof student !== 'string' || typeof exercise !== 'string') return undefined;
  if (typeof score !== 'number' || typeof maxScore !== 'number' || typeof durationMs !== 'number')
    return undefined;
  if (!STATUSES.includes(status as ExerciseStatus)) return undefined;
  return { student, exercise, score, maxScore, status: status as ExerciseStatus, durationMs };
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
