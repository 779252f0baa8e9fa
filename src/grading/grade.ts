// grade(): runs each exercise's steps and checks on an Engine and scores the result. No
// @actions/* here: the action and the CLI both call this with their own progress sink.

import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CheckConfigError, errored, evaluate, failed, skipped } from '../checks/evaluate';
import { observeExecBatch } from '../checks/exec-batch';
import type { ExecTarget } from '../checks/kinds/exec';
import { checkKind, observe } from '../checks/registry';
import { planChecks, READ_CONCURRENCY } from '../checks/schedule';
import type { Engine, EngineInfo } from '../engine/engine';
import { exerciseScope } from '../naming/resource-names';
import {
  type CheckResult,
  type CheckStatus,
  type ExerciseResult,
  exerciseResult,
  type GradeReport,
  gradeReport,
} from '../report/model';
import {
  attributeToSetup,
  dependsOnFailedSetup,
  type SetupFailure,
  separateLocations,
  withoutHint,
} from '../run/attribution';
import { namedBaseImages, pinBaseImages } from '../run/base-images';
import { type Failure, type Progress, Resources, type RunContext } from '../run/context';
import { engineShortfall } from '../run/engine-support';
import { forgetImages } from '../run/image-cache';
import { orderedProgress } from '../run/ordered-progress';
import { mapBounded } from '../shared/concurrency';
import { DockerApiError, errorMessage, InfraError, type SourceLocation } from '../shared/errors';
import { type HttpClient, httpRequest } from '../shared/http-request';
import { isInside } from '../shared/paths';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import type { LoadedExercise } from '../spec/load';
import type { CheckSpec, StepSpec } from '../spec/types';
import { sandboxPolicy } from '../steps/engine-gate';
import { describeStep, runStepSpec } from '../steps/registry';

export interface GradeOptions {
  engine: Engine;
  /** The student's repository (or folder) that exercises' `submission` paths are relative to. */
  submissionRoot: string;
  http?: HttpClient;
  progress?: Progress;
  now?: () => number;
  /**
   * How many exercises are graded at once (default 1; 'engine': the engine's CPU count). Output
   * stays in the exercises' order.
   */
  concurrency?: number | 'engine';
  /**
   * Gradings this process runs beside this one (a class regrade's students graded at once), so
   * that the exercises graded at once on the host share its budget for students' containers.
   */
  gradingsAtOnce?: number;
  /** Called as each exercise starts and ends, e.g. for a live display. */
  onExercise?: (event: {
    index: number;
    id: string;
    state: 'running' | 'done';
    result?: ExerciseResult;
  }) => void;
}

const SILENT: Progress = { info: () => {}, output: () => {} };

export async function grade(exercises: LoadedExercise[], options: GradeOptions): Promise<GradeReport> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? SILENT;
  const started = now();
  const engineInfo = await options.engine.info();
  const engineName = engineInfo.identity?.display ?? `Docker engine ${engineInfo.serverVersion}`;
  progress.info(`${engineName} (API ${engineInfo.apiVersion}), run ${options.engine.runId}`);
  let results: ExerciseResult[] = [];
  const wanted = options.concurrency === 'engine' ? (engineInfo.cpus ?? 1) : (options.concurrency ?? 1);
  const concurrency = Math.max(1, Math.min(wanted, exercises.length));
  // Each exercise has its own scope (labels, names), so exercises never see one another.
  const ordered = orderedProgress(progress, exercises.length);
  const engine = serialiseImageWork(options.engine);
  try {
    results = await mapBounded([...exercises.entries()], concurrency, async ([index, exercise]) => {
      options.onExercise?.({ index, id: exercise.spec.id, state: 'running' });
      try {
        const result = await gradeExercise(exercise, exerciseScope(options.engine.runId, index), {
          ...options,
          engine,
          engineInfo,
          now,
          concurrentExercises: concurrency * Math.max(1, options.gradingsAtOnce ?? 1),
          progress: ordered.progressFor(index),
        });
        options.onExercise?.({ index, id: exercise.spec.id, state: 'done', result });
        return result;
      } finally {
        ordered.finish(index);
      }
    });
  } finally {
    await removeQuietly(engine, undefined, progress);
  }
  return gradeReport(results, now() - started);
}

async function gradeExercise(
  exercise: LoadedExercise,
  scope: string,
  options: GradeOptions & {
    now: () => number;
    progress: Progress;
    concurrentExercises: number;
    engineInfo?: EngineInfo;
  },
): Promise<ExerciseResult> {
  const { spec } = exercise;
  const { progress, now } = options;
  const started = now();
  const exerciseTimeoutMs = timeoutMs(spec.timeout, LIMITS.exercise);
  const context: RunContext = {
    engine: options.engine,
    http: options.http ?? httpRequest,
    exerciseId: spec.id,
    resources: new Resources(),
    submissionRoot: path.resolve(options.submissionRoot),
    submissionDir: path.resolve(options.submissionRoot, spec.submission ?? '.'),
    scope,
    deadline: started + exerciseTimeoutMs,
    policy: sandboxPolicy(spec.policy),
    concurrentExercises: options.concurrentExercises,
    progress,
    now,
  };
  progress.info(`▶ ${spec.id}: ${spec.title}`);
  const checks: CheckResult[] = [];
  const finish = (extra: Partial<ExerciseResult> & { infraError?: boolean }): ExerciseResult => {
    const result = exerciseResult({
      id: spec.id,
      title: spec.title,
      specFile: exercise.file,
      durationMs: now() - started,
      checks,
      ...extra,
    });
    progress.info(
      `  ${spec.id}: ${result.score}/${result.maxScore} (${result.status}) in ${formatDuration(result.durationMs)}`,
    );
    return result;
  };
  const checkLocation = (index: number) => exercise.locate(['checks', index]);
  try {
    // What the exercise needs that this engine cannot give ends it here, before anything runs:
    // an engine fault (exit 3) in one line, never a grade the engine decided.
    const shortfall = engineShortfall(spec, options.engineInfo?.identity);
    if (shortfall !== undefined) throw new InfraError(shortfall);
    // After a failed step the checks still run: each says what it could not find, and those
    // that do not depend on the failed step (an image's config after a failed run) still score.
    // What the base images the exercise names are, before anything the student runs can tag.
    context.baseImages = await pinBaseImages(context.engine, namedBaseImages(spec));
    const setupFailure = await runSteps(exercise, context);
    // A `required: true` check that did not pass closes the gate: the checks after it are
    // skipped (0 points, not failed), and their points still count in maxScore, so the score
    // says how much of the exercise was missed.
    let gate: string | undefined;
    const report = (index: number, observed: CheckResult): void => {
      const check = spec.checks[index] as CheckSpec;
      let result = separateLocations(observed, checkLocation(index), exercise.file);
      if (setupFailure !== undefined && dependsOnFailedSetup(check, spec.steps ?? [], setupFailure)) {
        result = attributeToSetup(result, setupFailure);
      }
      progress.info(
        `  ${STATUS_MARK[result.status]} [${result.points}/${result.maxPoints}] ${check.name} (${checkKind(check)})`,
      );
      checks.push(result);
      if (check.required === true && result.status !== 'pass') gate ??= check.name;
    };
    /** Why a check does not run at all (a closed gate, the time limit), or undefined. */
    const notRun = (index: number): CheckResult | undefined => {
      const check = spec.checks[index] as CheckSpec;
      if (gate !== undefined) return skipped(check, gate, checkLocation(index));
      if (now() >= context.deadline) {
        const message = `not run: the exercise's time limit of ${formatDuration(exerciseTimeoutMs)} was reached`;
        return withoutHint(failed(check, { message }, checkLocation(index)));
      }
      return undefined;
    };
    // Units run in spec order and report in spec order (checks/schedule.ts says what may share
    // an exec or run concurrently, and why that cannot change a result).
    for (const unit of planChecks(spec.checks)) {
      // Cached image configs live only through runs of read-only checks: anything else (a check's
      // steps, a rebuild) may change an image, so the cache is forgotten around it.
      if (unit.kind !== 'together') forgetImages(context);
      if (unit.kind === 'alone') {
        const index = unit.index;
        report(
          index,
          notRun(index) ?? (await runCheck(spec.checks[index] as CheckSpec, context, checkLocation(index))),
        );
      } else if (unit.kind === 'together') {
        const results = await mapBounded(
          unit.indices,
          READ_CONCURRENCY,
          async (index) =>
            notRun(index) ?? runCheck(spec.checks[index] as CheckSpec, context, checkLocation(index)),
        );
        for (const [position, index] of unit.indices.entries())
          report(index, results[position] as CheckResult);
      } else {
        const batchable = notRun(unit.indices[0] ?? 0) === undefined;
        const targets = unit.indices.map((index) => spec.checks[index]?.exec as ExecTarget);
        const observed = batchable ? await observeExecBatch(targets, context) : [];
        for (const [position, index] of unit.indices.entries()) {
          const check = spec.checks[index] as CheckSpec;
          const observation = observed[position];
          report(
            index,
            observation === undefined
              ? (notRun(index) ?? (await runCheck(check, context, checkLocation(index))))
              : evaluate(check, observation, checkLocation(index)),
          );
        }
      }
      if (unit.kind !== 'together') forgetImages(context);
    }
    // A daemon that restarted meanwhile killed the exercise's containers: nothing here is a grade.
    const lost = options.engine.daemonLost?.();
    if (lost !== undefined) throw new InfraError(lost, 'unreachable');
    return finish({
      setupError: setupFailure?.message,
      setupLog: setupFailure?.log,
      firstError: setupFailure?.firstError,
    });
  } catch (error) {
    // The engine (or the grader) broke: what was not graded is an error, never a zero.
    // A daemon that restarted meanwhile is the cause of whatever call failed after it.
    const message =
      options.engine.daemonLost?.() ??
      (error instanceof InfraError ? duringRun(error) : `internal error: ${errorMessage(error)}`);
    progress.info(`  ! ${message}`);
    for (const check of spec.checks.slice(checks.length)) {
      checks.push(errored(check, message));
    }
    return finish({ setupError: message, infraError: true });
  } finally {
    await tearDown(context, progress);
    await removeQuietly(options.engine, scope, progress);
  }
}

/**
 * The engine answered at the start of the run (grade() asked for its info first), so one that
 * cannot be reached now went away during it: its event stream may not have ended yet (Engine 26
 * removes its socket while it still stops containers, and the stream ends after that).
 */
function duringRun(error: InfraError): string {
  return error.fault === 'unreachable'
    ? `the Docker engine stopped or restarted during the run: ${error.message}`
    : error.message;
}

const STATUS_MARK: Record<CheckStatus, string> = { pass: '✔', fail: '✘', error: '!', skipped: '-' };

/** A check's own steps (e.g. recreate a container), then its observation and score. */
async function runCheck(
  check: CheckSpec,
  context: RunContext,
  location: SourceLocation,
): Promise<CheckResult> {
  const failure = await runStepsInOrder(check.steps ?? [], context, check.visibility === 'hidden');
  if (failure) {
    // The check has no setup log of its own: a failed step's log is what was observed.
    const result = failed(check, { ...failure, actual: failure.actual ?? failure.log }, location);
    return failure.firstError === undefined ? result : { ...result, firstError: failure.firstError };
  }
  try {
    return evaluate(check, await observe(check, context), location);
  } catch (error) {
    // The instructor's setup for this one check is wrong: it is an error, the others still run.
    if (error instanceof CheckConfigError) return errored(check, error.message, location);
    // The engine works but refused what the student's state made of the request (an exec in a
    // container that keeps restarting): the check fails, it is not the grader's error.
    if (error instanceof DockerApiError) return failed(check, { message: error.message }, location);
    throw error;
  }
}

/**
 * Runs steps until one fails; the engine refusing a step is that step's failure. A hidden
 * check's steps say in the log only that they failed, not why.
 */
async function runStepsInOrder(
  steps: StepSpec[],
  context: RunContext,
  hidden = false,
): Promise<(Failure & SetupFailure) | undefined> {
  for (const [stepIndex, step] of steps.entries()) {
    context.progress.info(`  step: ${describeStep(step)}`);
    let failure: Failure | undefined;
    try {
      failure = await runStepSpec(step, context);
    } catch (error) {
      if (!(error instanceof DockerApiError)) throw error;
      failure = { message: `${describeStep(step)}: ${error.message}` };
    }
    if (failure) {
      context.progress.info(hidden ? '  ✘ a step of a hidden check failed' : `  ✘ ${failure.message}`);
      return { ...failure, stepIndex, stepDescription: describeStep(step) };
    }
  }
  return undefined;
}

/** What steps set up outside our labels: compose projects, what students' scripts created. */
async function tearDown(context: RunContext, progress: Progress): Promise<void> {
  for (const teardown of [...context.resources.teardowns].reverse()) {
    try {
      await teardown();
    } catch (error) {
      progress.info(`  cleanup failed: ${errorMessage(error)}`);
    }
  }
}

async function runSteps(
  exercise: LoadedExercise,
  context: RunContext,
): Promise<(Failure & SetupFailure) | undefined> {
  const submission = exercise.spec.submission ?? '.';
  if (!(await isDirectory(context.submissionDir))) {
    return {
      message: `the submission folder "${submission}" does not exist (looked in ${context.submissionDir})`,
    };
  }
  // The folder itself may be a symlink the student committed: followed, it must stay inside the
  // submission root, or a link to (say) the exercise's reference solution would be graded.
  if (!(await staysInside(context.submissionRoot, context.submissionDir))) {
    return { message: `the submission folder "${submission}" is a link to outside the submission` };
  }
  return runStepsInOrder(exercise.spec.steps ?? [], context);
}

async function staysInside(root: string, dir: string): Promise<boolean> {
  return isInside(await realpath(root), await realpath(dir));
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * One queue for the whole process: a class regrade grades several students at once, each with
 * its own session and engine, and since the grader's builds carry no labels two students'
 * identical builds end in one image, whose parents one's cleanup can remove under the other's
 * build.
 */
let imageWorkQueue: Promise<unknown> = Promise.resolve();

function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const turn = imageWorkQueue.then(work, work);
  imageWorkQueue = turn.catch(() => undefined);
  return turn;
}

/**
 * Builds and image removals of exercises graded at once run one at a time. The classic
 * builder shares cache layers between identical builds: removing one exercise's image (and
 * with it untagged parents) while another builds on the same layers fails that build with
 * "unknown parent image ID" (seen by the benchmark's 6 identical exercises). Everything else,
 * the removal of an exercise's containers, networks and volumes included, runs concurrently.
 */
function serialiseImageWork(engine: Engine): Engine {
  const shared = Object.create(engine) as Engine;
  shared.build = (request) => exclusive(() => engine.build(request));
  shared.removeResources = async (filter) => {
    if (filter?.only === 'runtime') return engine.removeResources(filter);
    const runtime =
      filter?.only === 'images' ? undefined : await engine.removeResources({ ...filter, only: 'runtime' });
    const images = await exclusive(() => engine.removeResources({ ...filter, only: 'images' }));
    if (runtime === undefined) return images;
    return {
      containers: runtime.containers,
      networks: runtime.networks,
      volumes: runtime.volumes,
      images: images.images,
      failures: [...runtime.failures, ...images.failures],
    };
  };
  return shared;
}

async function removeQuietly(engine: Engine, scope: string | undefined, progress: Progress): Promise<void> {
  try {
    const removed = await engine.removeResources({ scope });
    for (const failure of removed.failures) progress.info(`  cleanup: ${failure}`);
  } catch (error) {
    progress.info(`  cleanup failed: ${errorMessage(error)}`);
  }
}
