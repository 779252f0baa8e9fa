// The CLI's class-scale commands: `grade --submissions DIR` (a whole class into a gradebook)
// and `gradebook merge` (the shards of a matrix regrade into one gradebook), and `report` (the
// class report of one or more gradebooks).

import { mkdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { version as toolVersion } from '../../package.json';
import { type Gradebook, mergeGradebooks, parseGradebook } from '../class/gradebook';
import {
  exercisesFingerprint,
  findStudents,
  parseShard,
  regrade,
  shardOf,
  writeAtomically,
  writeGradebook,
} from '../class/regrade';
import { grade } from '../grading/grade';
import { withEngine, withSignalsHeld } from '../grading/session';
import { renderClassReport } from '../report/class-report';
import type { Progress } from '../run/context';
import { ExitCode, UsageError } from '../shared/errors';
import type { LoadedExercise } from '../spec/load';

export interface ClassGradeOptions {
  exercises: LoadedExercise[];
  submissions: string[];
  outDir: string;
  shard?: string;
  concurrency?: string;
  fresh: boolean;
  /** Lines about the class as a whole. */
  log: (line: string) => void;
  /** Progress of one student's grading, for the lines it prints. */
  progressOf: (student: string) => Progress;
}

export async function gradeClass(options: ClassGradeOptions): Promise<number> {
  const concurrency = parseConcurrency(options.concurrency);
  let students = await findStudents(options.submissions);
  if (options.shard !== undefined) {
    const shard = parseShard(options.shard);
    students = shardOf(students, shard);
    options.log(`shard ${shard.index}/${shard.count}: ${students.length} students`);
  }
  const fingerprint = await exercisesFingerprint(
    options.exercises.map((exercise) => exercise.file),
    toolVersion,
  );
  const summary = await withSignalsHeld(() =>
    regrade({
      students,
      outDir: options.outDir,
      fingerprint,
      concurrency,
      fresh: options.fresh,
      log: options.log,
      // Each student is its own run: its own run id and labels, its own cleanup.
      gradeStudent: (student) => {
        const progress = options.progressOf(student.name);
        return withEngine(
          (engine) =>
            grade(options.exercises, {
              engine,
              submissionRoot: student.dir,
              progress,
              // Students graded at once share the host's budget for students' containers.
              gradingsAtOnce: concurrency,
            }),
          {
            log: progress.info,
          },
        );
      },
    }),
  );
  options.log(
    `gradebook: ${path.join(options.outDir, 'gradebook.csv')} (${summary.book.rows.length} rows; ` +
      `${summary.graded} students graded, ${summary.resumed} kept from an earlier run, ${summary.errors} with errors)`,
  );
  return summary.errors > 0 ? ExitCode.infrastructure : ExitCode.passed;
}

function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return Math.max(1, Math.min(4, availableParallelism()));
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 64 (got "${text}")`);
  }
  return value;
}

/** `gradebook merge GRADEBOOK... --out DIR`: each GRADEBOOK is a gradebook.json or its folder. */
export async function mergeGradebookFiles(sources: string[], outDir: string): Promise<Gradebook> {
  if (sources.length === 0) throw new UsageError('gradebook merge needs at least one gradebook');
  const merged = mergeGradebooks(await readGradebooks(sources));
  await writeGradebook(outDir, merged);
  return merged;
}

/**
 * `report GRADEBOOK... --out FILE`: the class report of the gradebooks (the shards of one class
 * are joined as merge joins them).
 */
export async function classReportFile(sources: string[], outFile: string): Promise<Gradebook> {
  if (sources.length === 0) throw new UsageError('report needs at least one gradebook');
  const book = mergeGradebooks(await readGradebooks(sources));
  const title = sources.length === 1 ? path.basename(path.resolve(sources[0] ?? '')) : undefined;
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  await writeAtomically(path.resolve(outFile), renderClassReport(book, { title }));
  return book;
}

async function readGradebooks(sources: string[]): Promise<Array<{ source: string; book: Gradebook }>> {
  const books = [];
  for (const source of sources) {
    const info = await stat(source).catch(() => undefined);
    if (info === undefined) throw new UsageError(`no such file or folder: ${source}`);
    const file = info.isDirectory() ? path.join(source, 'gradebook.json') : source;
    const text = await readFile(file, 'utf8').catch(() => {
      throw new UsageError(`cannot read ${file}`);
    });
    books.push({ source: file, book: parseGradebook(text, file) });
  }
  return books;
}

/** `report GRADEBOOK... --out FILE`, its arguments parsed. */
export async function classReportCommand(
  args: { values: { out?: string | boolean }; positionals: string[] },
  io: { stdout: (text: string) => void },
): Promise<number> {
  const out = args.values.out;
  if (typeof out !== 'string') throw new UsageError('report needs --out FILE (the class report, HTML)');
  const book = await classReportFile(args.positionals, out);
  const students = new Set(book.rows.map((row) => row.student)).size;
  io.stdout(`class report of ${students} students, ${book.rows.length} rows: ${out}\n`);
  return ExitCode.passed;
}
