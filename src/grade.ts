// grade(): runs each exercise's steps and checks on an Engine and scores the result. No
// @actions/* here: the action and the CLI both call this with their own progress sink.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CheckConfigError, errored, evaluate, failed, skipped } from './checks/evaluate';
import { checkKind, observe } from './checks/registry';
import type { Engine } from './engine/engine';
import { DockerApiError, errorMessage, InfraError, type SourceLocation } from './errors';
import { type HttpClient, httpRequest } from './http/request';
import { isInside } from './paths';
import {
  type CheckResult,
  type CheckStatus,
  type ExerciseResult,
  exerciseResult,
  type GradeReport,
  gradeReport,
} from './report/model';
import { type Failure, type Progress, Resources, type RunContext } from './run/context';
import { formatDuration, LIMITS, timeoutMs } from './spec/duration';
import type { LoadedExercise } from './spec/load';
import type { CheckSpec, StepSpec } from './spec/types';
import { sandboxPolicy } from './steps/engine-gate';
import { describeStep, runStepSpec } from './steps/registry';

export interface GradeOptions {
  engine: Engine;
  /** The student's repository (or folder) that exercises' `submission` paths are relative to. */
  submissionRoot: string;
  http?: HttpClient;
  progress?: Progress;
  now?: () => number;
}

const SILENT: Progress = { info: () => {}, output: () => {} };

export async function grade(exercises: LoadedExercise[], options: GradeOptions): Promise<GradeReport> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? SILENT;
  const started = now();
  const engineInfo = await options.engine.info();
  progress.info(
    `Docker engine ${engineInfo.serverVersion} (API ${engineInfo.apiVersion}), run ${options.engine.runId}`,
  );
  const results: ExerciseResult[] = [];
  try {
    for (const [index, exercise] of exercises.entries()) {
      results.push(
        await gradeExercise(exercise, `${options.engine.runId}-${index + 1}`, { ...options, now, progress }),
      );
    }
  } finally {
    await removeQuietly(options.engine, undefined, progress);
  }
  return gradeReport(results, now() - started);
}

async function gradeExercise(
  exercise: LoadedExercise,
  scope: string,
  options: GradeOptions & { now: () => number; progress: Progress },
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
    // After a failed step the checks still run: each says what it could not find, and those
    // that do not depend on the failed step (an image's config after a failed run) still score.
    const setupFailure = await runSteps(exercise, context);
    // A `required: true` check that did not pass closes the gate: the checks after it are
    // skipped (0 points, not failed), and their points still count in maxScore, so the score
    // says how much of the exercise was missed.
    let gate: string | undefined;
    for (const [index, check] of spec.checks.entries()) {
      const location = checkLocation(index);
      let result: CheckResult;
      if (gate !== undefined) {
        result = skipped(check, gate, location);
      } else if (now() >= context.deadline) {
        const message = `not run: the exercise's time limit of ${formatDuration(exerciseTimeoutMs)} was reached`;
        result = failed(check, { message }, location);
      } else {
        result = await runCheck(check, context, location);
      }
      progress.info(
        `  ${STATUS_MARK[result.status]} [${result.points}/${result.maxPoints}] ${check.name} (${checkKind(check)})`,
      );
      checks.push(result);
      if (check.required === true && result.status !== 'pass') gate ??= check.name;
    }
    return finish({ setupError: setupFailure?.message, setupLog: setupFailure?.log });
  } catch (error) {
    // The engine (or the grader) broke: what was not graded is an error, never a zero.
    const message = error instanceof InfraError ? error.message : `internal error: ${errorMessage(error)}`;
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
    return failed(check, { ...failure, actual: failure.actual ?? failure.log }, location);
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
): Promise<Failure | undefined> {
  for (const step of steps) {
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
      return failure;
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

async function runSteps(exercise: LoadedExercise, context: RunContext): Promise<Failure | undefined> {
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

async function removeQuietly(engine: Engine, scope: string | undefined, progress: Progress): Promise<void> {
  try {
    const removed = await engine.removeResources({ scope });
    for (const failure of removed.failures) progress.info(`  cleanup: ${failure}`);
  } catch (error) {
    progress.info(`  cleanup failed: ${errorMessage(error)}`);
  }
}
