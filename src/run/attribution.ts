// Which failure a check's result shows. After a setup step failed, the checks still run (those
// that do not depend on it still score), but a check that failed because that step never made
// what it looks at must say so, not show its own hint: "Add --restart unless-stopped" for a
// script that had it and hung sends the student the wrong way. And a check's location is
// either in the student's own files or in the exercise spec, which only the instructor sees.

import { CONNECTION_ERROR_CODES } from '../engine/faults';
import type { CheckResult } from '../report/model';
import type { SourceLocation } from '../shared/errors';
import type { CheckSpec, StepSpec } from '../spec/types';

/** Why the exercise's setup did not finish. */
export interface SetupFailure {
  /** Index of the step that failed; undefined when the setup failed before any step ran. */
  stepIndex?: number;
  /** The failed step in words, e.g. `build image "web" from Dockerfile`. */
  stepDescription?: string;
}

// Kinds that read only the student's files: no step makes or changes what they observe.
const STATIC_KINDS = ['dockerfile', 'answers', 'protected'] as const;

/** Every name a step makes or changes; `'*'` for steps that can touch anything (scripts, compose). */
function stepSubjects(step: StepSpec): string[] {
  if ('script' in step || 'compose' in step) return ['*'];
  if ('build' in step) {
    const tags = step.build.tag;
    return [step.build.name, ...(typeof tags === 'string' ? [tags] : (tags ?? []))];
  }
  if ('run' in step) {
    const { name, networks, volumes } = step.run;
    const networkNames = (networks ?? []).map((network) =>
      typeof network === 'string' ? network : network.name,
    );
    const volumeNames = (volumes ?? []).flatMap((mount) => {
      if (typeof mount !== 'string') return mount.type === 'bind' ? [] : [mount.source];
      const source = mount.split(':')[0] ?? '';
      return /^[./~]/.test(source) ? [] : [source];
    });
    return [name, ...networkNames, ...volumeNames];
  }
  if ('network' in step) return [step.network.name];
  if ('volume' in step) return [step.volume.name];
  if ('copy' in step) {
    const from = step.copy.from;
    return [step.copy.to.container, ...(typeof from === 'string' ? [] : [from.container])];
  }
  if ('wait' in step) return step.wait.container === undefined ? [] : [step.wait.container];
  if ('exec' in step) return [step.exec.container];
  if ('stop' in step) return [step.stop.container];
  if ('kill' in step) return [step.kill.container];
  if ('restart' in step) return [step.restart.container];
  if ('recreate' in step) return [step.recreate.container];
  return ['*'];
}

/** The names a check looks at, its own steps' included. */
function checkSubjects(check: CheckSpec): string[] {
  const names = [
    check.exec?.container,
    check.http?.container,
    check.logs?.container,
    check.image?.name,
    check.image?.basedOn,
    check.file?.container,
    check.file?.image,
    check.container?.name,
    check.network?.name,
    check.volume?.name,
    check.reach?.from,
    check.reach?.to,
    check['build-cache']?.build,
  ];
  return [
    ...names.filter((name): name is string => name !== undefined),
    ...(check.steps ?? []).flatMap(stepSubjects),
  ];
}

/**
 * Whether a check's observation depends on what the failed step (or a step after it, which did
 * not run) would have made or changed. Checks of the student's files depend on no step; a
 * setup that failed before any step (no submission folder) takes every check with it.
 */
export function dependsOnFailedSetup(
  check: CheckSpec,
  steps: readonly StepSpec[],
  setup: SetupFailure,
): boolean {
  if (setup.stepIndex === undefined) return true;
  if (STATIC_KINDS.some((kind) => check[kind] !== undefined)) return false;
  const notDone = new Set(steps.slice(setup.stepIndex).flatMap(stepSubjects));
  if (notDone.has('*')) return true;
  return checkSubjects(check).some((name) => notDone.has(name));
}

/**
 * A check's result as the students see it once the setup failed: what did not pass says that
 * the setup failed, without the check's own expected, actual, hint or location.
 */
export function attributeToSetup(result: CheckResult, setup: SetupFailure): CheckResult {
  if (result.status === 'pass' || result.status === 'error') return result;
  const step =
    setup.stepDescription === undefined ? 'the setup' : `the setup step "${setup.stepDescription}"`;
  const { expected: _e, actual: _a, hint: _h, diff: _d, location: _l, firstError: _f, ...rest } = result;
  const message =
    result.status === 'skipped'
      ? result.message
      : `not checked: ${step} failed before this check could look (see the setup error)`;
  return { ...rest, message, causedBySetup: true };
}

/** A result that failed for a reason not its own (e.g. the exercise's time limit): no hint. */
export function withoutHint(result: CheckResult): CheckResult {
  const { hint: _hint, ...rest } = result;
  return rest;
}

/**
 * Moves the spec location (where the check is in the exercise file) out of `location`, which
 * then only ever points at the student's own files. The checks are given the spec location and
 * return it as is when they have no better one; a location in the spec file is the spec's.
 */
export function separateLocations(
  result: CheckResult,
  specLocation: SourceLocation,
  specFile: string,
): CheckResult {
  const { location, ...rest } = result;
  const inSpec = location === specLocation || (location !== undefined && location.file === specFile);
  return inSpec || location === undefined ? { ...rest, specLocation } : { ...rest, location, specLocation };
}

// Whose fault a failed engine request is. Only a broken connection (refused, reset, timed out,
// cut mid-answer) and a 5xx answer of the engine are the engine's: the grade then says "engine
// error" (exit 3), and the student can do nothing about it. Everything else a student's request
// runs into is the student's own doing, as on their own machine: a 4xx, a redirect (the engine
// answering a path it does not serve as such), a refusal of the grader's, a symlink loop or a
// permission error in a path they named. Those fail the student's command (exit 1), never 3.

/** The errno codes of a broken connection to the engine, and an answer cut off mid-stream. */
const CONNECTION_CODES = new Set([...CONNECTION_ERROR_CODES, 'ERR_STREAM_PREMATURE_CLOSE']);
/** System calls of a connection (anything else is a file the student named: realpath, stat, open). */
const CONNECTION_SYSCALLS = new Set(['connect', 'read', 'write', 'getaddrinfo']);
/** errno codes of a path the student named: a loop, no permission, not a folder, too long. */
const PATH_CODES = new Set(['ELOOP', 'EACCES', 'EPERM', 'ENOTDIR', 'ENAMETOOLONG', 'EISDIR', 'ENOENT']);

/** Whether an engine answer's HTTP status is the engine's fault: only 5xx (and no status at all). */
export function isEngineFaultStatus(status: number): boolean {
  return status >= 500 || status < 100;
}

/**
 * Whether an error met while carrying out a student's request is the engine's fault. An error
 * with an HTTP status is the engine's only for 5xx; a system error is the engine's only when
 * it is of the connection; a path error (ELOOP, EACCES, EPERM, ...) is the student's.
 */
export function isEngineFault(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const { status, statusCode, code, syscall } = error as {
    status?: unknown;
    statusCode?: unknown;
    code?: unknown;
    syscall?: unknown;
  };
  const httpStatus =
    typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : undefined;
  if (httpStatus !== undefined) return isEngineFaultStatus(httpStatus);
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code)) return true;
    if (typeof syscall === 'string' && CONNECTION_SYSCALLS.has(syscall)) return true;
    if (PATH_CODES.has(code)) return false;
  }
  // Anything else (an answer too large, a stream cut): the engine's, so as not to blame a student.
  return true;
}

/** The HTTP status a student's command gets for an error that is its own fault (isEngineFault false). */
export function studentFaultStatus(error: unknown): number {
  const { status, code } = (typeof error === 'object' && error !== null ? error : {}) as {
    status?: unknown;
    code?: unknown;
  };
  if (typeof status === 'number' && status >= 400 && status < 500) return status;
  if (code === 'EACCES' || code === 'EPERM') return 403;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 404;
  return 400;
}

/** What the student reads for such an error: a path error says which path and why, in words. */
export function studentFaultMessage(error: unknown): string {
  const { code, path: where } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    path?: unknown;
  };
  const at = typeof where === 'string' ? ` ${where}` : '';
  if (code === 'ELOOP') return `too many levels of symbolic links:${at}`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied:${at}`;
  if (code === 'ENOTDIR') return `not a directory:${at}`;
  if (code === 'ENAMETOOLONG') return `file name too long:${at}`;
  return error instanceof Error ? error.message : String(error);
}
