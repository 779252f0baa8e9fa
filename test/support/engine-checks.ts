// Shared by the checks-*.itg.test.ts files: tiny exercises written inline, graded by grade() on
// the real engine, and fixtures made with the docker CLI where no step can make them yet.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createDockerEngine } from '../../src/engine/docker-engine';
import { grade } from '../../src/grading/grade';
import { RUN_LABEL } from '../../src/naming/labels';
import type { CheckResult, ExerciseResult } from '../../src/report/model';
import { SpecError } from '../../src/shared/errors';
import { type LoadedExercise, parseExercise } from '../../src/spec/load';
import type { ExerciseSpec } from '../../src/spec/types';
import { labelled, tempDir } from './integration';

const execFileAsync = promisify(execFile);

export function newRunId(kind: string): string {
  return `itg-checks-${kind}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/** Labelled with the run, so that grade()'s cleanup at the end of the run removes it too. */
export function runLabel(runId: string): string[] {
  return ['--label', `${RUN_LABEL}=${runId}`];
}

/**
 * Parses an exercise as the CLI would. Containers made here with the docker CLI stand for what a
 * student's script makes; since no script step is in these exercises, validation's rule that a
 * container must be a run step's is the only one let through (the schema still applies).
 */
export function exercise(yaml: string): LoadedExercise {
  const file = 'exercise.yaml';
  try {
    return parseExercise(yaml, file);
  } catch (error) {
    const onlyForeignContainers =
      error instanceof SpecError &&
      error.problems.every((problem) => /^no run step is named/.test(problem.message));
    if (!onlyForeignContainers) throw error;
    return {
      spec: parse(yaml) as ExerciseSpec,
      file,
      dir: process.cwd(),
      locate: () => ({ file, line: 1, column: 1 }),
    };
  }
}

/** Grades one inline exercise with a submission made of `files`; returns its result. */
export async function gradeInline(
  runId: string,
  yaml: string,
  files: Record<string, string> = {},
): Promise<{ result: ExerciseResult; log: string[] }> {
  const submission = tempDir('itg-checks');
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(submission, relative)), { recursive: true });
    writeFileSync(path.join(submission, relative), content);
  }
  const log: string[] = [];
  const report = await grade([exercise(yaml)], {
    engine: createDockerEngine(runId),
    submissionRoot: submission,
    progress: { info: (line) => log.push(line), output: (line) => log.push(`| ${line}`) },
  });
  const result = report.exercises[0];
  if (result === undefined) throw new Error('grade() returned no exercise');
  return { result, log };
}

/** The result of the check with that name; throws with every check's summary when missing. */
export function check(result: ExerciseResult, name: string): CheckResult {
  const found = result.checks.find((candidate) => candidate.name === name);
  if (found === undefined) {
    throw new Error(`no check "${name}" among: ${result.checks.map((item) => item.name).join(', ')}`);
  }
  return found;
}

/** A readable summary for assertion messages: why a check did not do what the test expected. */
export function explain(result: ExerciseResult, log: string[] = []): string {
  return JSON.stringify({ setupError: result.setupError, checks: result.checks, log }, null, 2);
}

/** Everything carrying the run's label, by the docker CLI (so the engine's own cleanup is checked too). */
export function leftovers(runId: string): Promise<string[]> {
  return labelled(`${RUN_LABEL}=${runId}`);
}

/** Removes what a failing test may have left (containers first, so that networks can go). */
export async function removeEverything(runId: string): Promise<void> {
  const filter = ['--filter', `label=${RUN_LABEL}=${runId}`];
  const containers = (await docker('ps', '-aq', ...filter)).split('\n').filter(Boolean);
  if (containers.length > 0) await docker('rm', '-f', '-v', ...containers);
  for (const kind of ['network', 'volume'] as const) {
    const ids = (await docker(kind, 'ls', '-q', ...filter)).split('\n').filter(Boolean);
    if (ids.length > 0) await docker(kind, 'rm', ...ids);
  }
  const images = (await docker('image', 'ls', '-q', ...filter)).split('\n').filter(Boolean);
  if (images.length > 0) await docker('image', 'rm', '-f', ...new Set(images));
}
