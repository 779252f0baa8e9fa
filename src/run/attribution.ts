// Which failure a check's result shows. After a setup step failed, the checks still run (those
// that do not depend on it still score), but a check that failed because that step never made
// what it looks at must say so, not show its own hint: "Add --restart unless-stopped" for a
// script that had it and hung sends the student the wrong way. And a check's location is
// either in the student's own files or in the exercise spec, which only the instructor sees.
import type { SourceLocation } from '../errors';
import type { CheckResult } from '../report/model';
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
