// The CLI's class-scale commands: `grade --submissions DIR` (a whole class into a gradebook)
// and `gradebook merge` (the shards of a matrix regrade into one gradebook).

import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { version as toolVersion } from '../package.json';
import { type Gradebook, mergeGradebooks, parseGradebook } from './class/gradebook';
import {
  exercisesFingerprint,
  findStudents,
  parseShard,
  regrade,
  shardOf,
  writeGradebook,
} from './class/regrade';
import { ExitCode, UsageError } from './errors';
import { grade } from './grade';
import type { Progress } from './run/context';
import { withEngine } from './session';
import type { LoadedExercise } from './spec/load';

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
  const summary = await regrade({
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
        (engine) => grade(options.exercises, { engine, submissionRoot: student.dir, progress }),
        {
          log: progress.info,
        },
      );
    },
  });
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
  const merged = mergeGradebooks(books);
  await writeGradebook(outDir, merged);
  return merged;
}
