// A class regrade: many students' repositories graded with bounded concurrency into one
// gradebook. Each student's result is saved as soon as it is known, so an interrupted regrade
// resumes where it stopped: a student already graded with the same exercises is not graded again.
// No @actions/* and no dockerode: the caller says how one student is graded.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderClassReport } from '../report/class-report';
import type { GradeReport } from '../report/model';
import { mapBounded } from '../shared/concurrency';
import { UsageError } from '../shared/errors';
import { formatDuration } from '../spec/duration';
import {
  type Gradebook,
  type GradebookRow,
  gradebookOf,
  parseGradebook,
  renderChecksCsv,
  renderGradebookCsv,
  renderGradebookJson,
  rowsFromReport,
} from './gradebook';

export interface Student {
  /** The repository folder's name: how the gradebook names the student. */
  name: string;
  dir: string;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Every sub-folder of each DIR is one student's repository (hidden folders are not). */
export async function findStudents(dirs: string[]): Promise<Student[]> {
  const byName = new Map<string, Student>();
  for (const dir of dirs) {
    const info = await stat(dir).catch(() => undefined);
    if (info === undefined || !info.isDirectory())
      throw new UsageError(`--submissions: no such folder: ${dir}`);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const student = { name: entry.name, dir: path.resolve(dir, entry.name) };
      const earlier = byName.get(student.name);
      if (earlier !== undefined) {
        throw new UsageError(
          `two repositories are named "${student.name}": ${earlier.dir} and ${student.dir}`,
        );
      }
      byName.set(student.name, student);
    }
  }
  if (byName.size === 0) throw new UsageError(`no student repositories (sub-folders) in ${dirs.join(', ')}`);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** "2/5": the second of five shards. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard must be I/N with 1 <= I <= N, like 2/5 (got "${text}")`);
  }
  return { index, count };
}

/** Students dealt round-robin in name order: every student is in exactly one shard of N. */
export function shardOf(students: Student[], shard: Shard): Student[] {
  return students.filter((_, position) => position % shard.count === shard.index - 1);
}

/** What the grades depend on besides the students' work: a saved grade counts only for these. */
export async function exercisesFingerprint(files: string[], toolVersion: string): Promise<string> {
  const hash = createHash('sha256').update(`docker-autograder ${toolVersion}\n`);
  for (const file of [...files].sort()) {
    hash.update(`${path.resolve(file)}\n`).update(await readFile(file));
  }
  return hash.digest('hex');
}

interface SavedStudent {
  version: 1;
  student: string;
  fingerprint: string;
  rows: GradebookRow[];
}

export interface RegradeOptions {
  students: Student[];
  /** Where gradebook.csv, gradebook.json and the per-student results (students/) are written. */
  outDir: string;
  fingerprint: string;
  concurrency: number;
  /** Grade again even those already graded with the same exercises. */
  fresh?: boolean;
  gradeStudent(student: Student): Promise<GradeReport>;
  log(line: string): void;
}

export interface RegradeSummary {
  book: Gradebook;
  graded: number;
  /** Students whose saved result was kept. */
  resumed: number;
  /** Students with an infrastructure error: not saved, graded again on the next run. */
  errors: number;
}

export async function regrade(options: RegradeOptions): Promise<RegradeSummary> {
  const studentsDir = path.join(options.outDir, 'students');
  await mkdir(studentsDir, { recursive: true });
  const saved = new Map<string, GradebookRow[]>();
  const todo: Student[] = [];
  for (const student of options.students) {
    const previous = options.fresh ? undefined : await readSaved(studentsDir, student.name);
    if (previous?.fingerprint === options.fingerprint) saved.set(student.name, previous.rows);
    else todo.push(student);
  }
  if (saved.size > 0)
    options.log(`${saved.size} of ${options.students.length} students already graded: kept`);

  let done = 0;
  let errors = 0;
  const rows = new Map(saved);
  const writeBook = () => writeGradebook(options.outDir, gradebookOf([...rows.values()].flat()));
  // The gradebook is rewritten after each student (in order, never two writes at once), so that
  // an interrupted regrade still leaves a gradebook of everything finished.
  let writing = Promise.resolve();
  await mapBounded(todo, options.concurrency, async (student) => {
    const started = Date.now();
    const report = await options.gradeStudent(student);
    const studentRows = rowsFromReport(student.name, report);
    rows.set(student.name, studentRows);
    done += 1;
    const failedByInfra = studentRows.some((row) => row.status === 'error');
    if (failedByInfra) errors += 1;
    else
      await saveStudent(studentsDir, {
        version: 1,
        student: student.name,
        fingerprint: options.fingerprint,
        rows: studentRows,
      });
    options.log(
      `[${done}/${todo.length}] ${student.name}: ${report.score}/${report.maxScore}` +
        ` (${failedByInfra ? 'error: will be graded again' : report.passed ? 'passed' : 'not passed'})` +
        ` in ${formatDuration(Date.now() - started)}`,
    );
    writing = writing.then(writeBook);
    await writing;
  });
  const book = gradebookOf([...rows.values()].flat());
  await writeGradebook(options.outDir, book);
  return { book, graded: done, resumed: saved.size, errors };
}

async function readSaved(dir: string, student: string): Promise<SavedStudent | undefined> {
  const text = await readFile(savedPath(dir, student), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const data = JSON.parse(text) as SavedStudent;
    if (data.version !== 1 || data.student !== student || !Array.isArray(data.rows)) return undefined;
    // Rows are read as a gradebook's are, so that the checks a resume keeps are well-formed.
    const { rows } = parseGradebook(JSON.stringify({ version: 1, rows: data.rows }), student);
    // Saved before checks were kept: grade again, so that the class report has them.
    if (rows.some((row) => row.checks === undefined)) return undefined;
    return { ...data, rows };
  } catch {
    // A file cut short by the interruption: grade that student again.
    return undefined;
  }
}

async function saveStudent(dir: string, saved: SavedStudent): Promise<void> {
  await writeAtomically(savedPath(dir, saved.student), `${JSON.stringify(saved, null, 2)}\n`);
}

function savedPath(dir: string, student: string): string {
  // Folder names are file names already; encode anyway so that no name can leave the folder.
  return path.join(dir, `${encodeURIComponent(student)}.json`);
}

export async function writeGradebook(outDir: string, book: Gradebook): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeAtomically(path.join(outDir, 'gradebook.json'), renderGradebookJson(book));
  await writeAtomically(path.join(outDir, 'gradebook.csv'), renderGradebookCsv(book));
  await writeAtomically(path.join(outDir, 'checks.csv'), renderChecksCsv(book));
  // Rewritten with the gradebook, so that an interrupted regrade's report shows what it finished.
  await writeAtomically(path.join(outDir, CLASS_REPORT_FILE), renderClassReport(book));
}

export const CLASS_REPORT_FILE = 'class-report.html';

/** Written beside, then renamed: a reader (or an interruption) never sees half a file. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, text);
  await rename(partial, file);
}
