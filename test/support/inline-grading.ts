// Grading tiny inline exercises on the real engine, through grade() itself: the path a student's
// submission takes. Each grading has its own run id; leftovers() tells what it left behind. Also
// fixtures made with the docker CLI where no step can make them (labelled with the run, so that
// grade()'s cleanup removes them too), and removeEverything() for what a failing test leaves.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDockerEngine } from '../../src/engine/docker-engine';
import { grade } from '../../src/grading/grade';
import { RUN_LABEL } from '../../src/naming/labels';
import type { CheckResult, ExerciseResult } from '../../src/report/model';
import { SpecError } from '../../src/shared/errors';
import { type LoadedExercise, parseExercise } from '../../src/spec/load';
import type { ExerciseSpec } from '../../src/spec/types';
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

/**
 * Grades an exercise of one build step `app` of this Dockerfile, with one check, "the image
 * exists" (by its working directory): for tests of what a build may and may not do.
 */
export function gradeBuild(
  id: string,
  dockerfile: string,
  options: { timeout?: string; workdir?: string; prefix?: string } = {},
): ReturnType<typeof gradeInline> {
  const timeout = options.timeout === undefined ? '' : `, timeout: ${options.timeout}`;
  const yaml = exerciseYaml(id, {
    steps: `  - build: { name: app${timeout} }`,
    checks: `  - name: the image exists
    image: { name: app }
    expect: { workdir: ${options.workdir ?? '/srv'} }
`,
  });
  return gradeInline(
    yaml,
    { Dockerfile: dockerfile },
    options.prefix === undefined ? {} : { prefix: options.prefix },
  );
}

/** A check that passes on any engine with busybox: for exercises whose steps are the point. */
export const FILLER_CHECK = `
  - name: busybox is there
    image: { name: busybox }
    expect: { cmd: { contains: sh } }
`;

/**
 * The YAML of an inline exercise: the frame every exercise has (version, id, title: the id unless
 * given) written once, around its steps and checks (YAML list items).
 */
export function exerciseYaml(id: string, parts: { title?: string; steps: string; checks: string }): string {
  return `version: 1\nid: ${id}\ntitle: ${parts.title ?? id}\nsteps:\n${parts.steps}\nchecks:\n${parts.checks}`;
}

/** The YAML of an exercise `steps/<id>` with these steps and checks (YAML list items). */
export function stepsExercise(id: string, steps: string, checks = FILLER_CHECK): string {
  return exerciseYaml(`steps/${id}`, { title: id, steps, checks });
}

/** A name no other test uses: `prefix`, then the time and a random part. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Grades one exercise (YAML text) against a submission made of `files`. */
export async function gradeInline(
  yaml: string,
  files: Record<string, SubmissionFile> = {},
  options: {
    prefix?: string;
    /** The run id, for a test that made fixtures of the run before; a new one by default. */
    runId?: string;
    submission?: string;
    /** How the YAML is read; parseWithForeignContainers for exercises that check CLI-made fixtures. */
    parse?: (yaml: string) => LoadedExercise;
    /** Called with each of the grader's progress lines as it happens, and the run id. */
    onInfo?: (line: string, runId: string) => void;
  } = {},
): Promise<Graded> {
  const runId = options.runId ?? uniqueRunId(options.prefix ?? '');
  const submission = options.submission ?? submissionDir(files);
  const exercise = (options.parse ?? ((text) => parseExercise(text, 'inline/exercise.yaml')))(yaml);
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

/**
 * Parses an exercise as the CLI would. Containers made with the docker CLI stand for what a
 * student's script makes; since no script step is in these exercises, validation's rule that a
 * container must be a run step's is the only one let through (the schema still applies).
 */
export function parseWithForeignContainers(yaml: string): LoadedExercise {
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

/** The docker CLI on the shared engine; its trimmed stdout. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/** Labelled with the run, so that grade()'s cleanup at the end of the run removes it too. */
export function runLabel(runId: string): string[] {
  return ['--label', `${RUN_LABEL}=${runId}`];
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

/** The result of the check with that name; throws with every check's summary when missing. */
export function check(graded: Graded, name: string): CheckResult {
  const found = graded.exercise.checks.find((candidate) => candidate.name === name);
  if (found === undefined) {
    throw new Error(
      `no check "${name}" among: ${graded.exercise.checks.map((item) => item.name).join(', ')}`,
    );
  }
  return found;
}

/** What a test may make before grading: the docker CLI, and the run's label to put on what it makes. */
export interface RunFixtures {
  docker: (...args: string[]) => Promise<string>;
  label: string[];
  /**
   * A busybox container of the run that ran `sh -c script` and exited, as a student's `docker run`
   * leaves it; `options` go before the image. Its own exit code is no failure; docker's (125 to 127) is.
   */
  stoppedContainer: (name: string, script: string, ...options: string[]) => Promise<void>;
}

/**
 * Grades once for the tests of a file (or describe), in beforeAll: `prepare` makes the run's
 * fixtures and gives the exercise (read with parseWithForeignContainers) and its submission's
 * files. afterAll removes what the run left. The returned function gives the graded exercise.
 */
export function gradedOnce(
  runId: string,
  prepare: (fixtures: RunFixtures) => Promise<{ yaml: string; files?: Record<string, SubmissionFile> }>,
): () => Graded {
  let graded: Graded | undefined;
  beforeAll(async () => {
    const label = runLabel(runId);
    const stoppedContainer = async (name: string, script: string, ...options: string[]) => {
      await docker('run', '--name', name, ...label, ...options, 'busybox:latest', 'sh', '-c', script).catch(
        (error: { code?: unknown }) => {
          if (typeof error.code !== 'number' || error.code >= 125) throw error;
        },
      );
    };
    const { yaml, files } = await prepare({ docker, label, stoppedContainer });
    graded = await gradeInline(yaml, files, { runId, parse: parseWithForeignContainers });
  });
  afterAll(async () => {
    await removeEverything(runId);
  });
  return () => {
    if (graded === undefined) throw new Error('the exercise was not graded (see beforeAll)');
    return graded;
  };
}

/** The test that the run left nothing with its label on the engine. */
export function itLeavesNothingOfTheRun(runId: string): void {
  it('leaves nothing of the run on the engine', async () => {
    expect(await leftovers(runId)).toEqual([]);
  });
}

/** A short summary for assertion messages. */
export function summary(graded: Graded): string {
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
