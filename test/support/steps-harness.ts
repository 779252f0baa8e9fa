// Grading tiny inline exercises on the real engine, through grade() itself: the path a student's
// submission takes. Each call has its own run id, and checks that it left nothing behind.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDockerEngine } from '../../src/engine/docker-engine';
import { grade } from '../../src/grading/grade';
import { RUN_LABEL } from '../../src/naming/labels';
import type { ExerciseResult } from '../../src/report/model';
import { parseExercise } from '../../src/spec/load';
import { labelled } from './integration';

const execFileAsync = promisify(execFile);

export type SubmissionFile = string | { content: string; mode: number } | { symlink: string };

export interface Graded {
  exercise: ExerciseResult;
  runId: string;
  submission: string;
  /** Progress lines: the grader's own, and the student's output prefixed with "| ". */
  log: string[];
  /** Check results by name: 'pass', 'fail', ... */
  statuses: Record<string, string>;
}

let counter = 0;
const tempDirs: string[] = [];

export function uniqueRunId(prefix: string): string {
  counter += 1;
  return `itgsteps${prefix}${Date.now().toString(36)}${process.pid.toString(36)}${counter}`;
}

export function submissionDir(files: Record<string, SubmissionFile>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'itg-steps-'));
  tempDirs.push(dir);
  for (const [relative, file] of Object.entries(files)) {
    const full = path.join(dir, relative);
    mkdirSync(path.dirname(full), { recursive: true });
    if (typeof file === 'string') writeFileSync(full, file);
    else if ('symlink' in file) symlinkSync(file.symlink, full);
    else {
      writeFileSync(full, file.content);
      chmodSync(full, file.mode);
    }
  }
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Grades one exercise (YAML text) against a submission made of `files`. */
export async function gradeInline(
  yaml: string,
  files: Record<string, SubmissionFile> = {},
  options: {
    prefix?: string;
    submission?: string;
    /** Called with each of the grader's progress lines as it happens, and the run id. */
    onInfo?: (line: string, runId: string) => void;
  } = {},
): Promise<Graded> {
  const runId = uniqueRunId(options.prefix ?? '');
  const submission = options.submission ?? submissionDir(files);
  const exercise = parseExercise(yaml, 'inline/exercise.yaml');
  const engine = createDockerEngine(runId);
  const log: string[] = [];
  const report = await grade([exercise], {
    engine,
    submissionRoot: submission,
    progress: {
      info: (line) => {
        log.push(line);
        options.onInfo?.(line, runId);
      },
      output: (line) => log.push(`| ${line}`),
    },
  });
  const result = report.exercises[0];
  if (result === undefined) throw new Error('grade() returned no exercise');
  const statuses = Object.fromEntries(result.checks.map((check) => [check.name, check.status]));
  return { exercise: result, runId, submission, log, statuses };
}

/** What carries the run's label, by the docker CLI (not by the code under test). */
export function leftovers(runId: string): Promise<string[]> {
  return labelled(`${RUN_LABEL}=${runId}`);
}

/** Containers, networks and volumes whose name contains `fragment`, by the docker CLI. */
export async function namedLeftovers(fragment: string): Promise<string[]> {
  const found: string[] = [];
  for (const [kind, format] of [
    [['ps', '-a'], '{{.Names}}'],
    [['network', 'ls'], '{{.Name}}'],
    [['volume', 'ls'], '{{.Name}}'],
    [['image', 'ls'], '{{.Repository}}'],
  ] as const) {
    const { stdout } = await execFileAsync('docker', [...kind, '--format', format]);
    found.push(...stdout.split('\n').filter((name) => name.includes(fragment)));
  }
  return found;
}

/** A short summary for assertion messages. */
export function describe(graded: Graded): string {
  return JSON.stringify(
    {
      setupError: graded.exercise.setupError,
      setupLog: graded.exercise.setupLog,
      checks: graded.exercise.checks.map((check) => ({
        name: check.name,
        status: check.status,
        message: check.message,
        actual: check.actual,
      })),
      log: graded.log.slice(-30),
    },
    null,
    2,
  );
}
