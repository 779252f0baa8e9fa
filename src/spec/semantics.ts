// Rules the JSON Schema cannot express: references between steps and checks, unique names,
// limits, regular expressions that compile, paths that stay inside the submission.
import path from 'node:path';
import { durationMs, LIMITS, type Limit } from './duration';
import { CHECK_KINDS, type Duration, type ExerciseSpec, type Matcher, type RunStep } from './types';

export interface SemanticProblem {
  specPath: Array<string | number>;
  /** Point at the key rather than its value. */
  key?: boolean;
  message: string;
}

export function semanticProblems(spec: ExerciseSpec): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const steps = spec.steps ?? [];

  checkTimeout(problems, ['timeout'], spec.timeout, LIMITS.exercise);
  checkRelativePath(problems, ['submission'], spec.submission);

  const built = new Map<string, number>();
  const runs = new Map<string, RunStep>();
  const stepNames = new Map<string, number>();
  steps.forEach((step, index) => {
    const kind = Object.keys(step)[0] ?? '';
    const name = 'build' in step ? step.build.name : step.run.name;
    const namePath = ['steps', index, kind, 'name'];
    const earlier = stepNames.get(name);
    if (earlier !== undefined) {
      problems.push({
        specPath: namePath,
        message: `step name "${name}" is already used by steps[${earlier}]`,
      });
    }
    stepNames.set(name, index);
    if ('build' in step) {
      built.set(name, index);
      checkRelativePath(problems, ['steps', index, 'build', 'context'], step.build.context);
      checkRelativePath(problems, ['steps', index, 'build', 'dockerfile'], step.build.dockerfile);
      checkTimeout(problems, ['steps', index, 'build', 'timeout'], step.build.timeout, LIMITS.build);
    } else {
      runs.set(name, step.run);
      const wait = step.run.wait;
      const waitPath = ['steps', index, 'run', 'wait'];
      if (wait?.log !== undefined) checkRegex(problems, [...waitPath, 'log'], wait.log);
      if (wait?.http !== undefined && !(step.run.ports ?? []).includes(wait.http.port)) {
        problems.push({
          specPath: [...waitPath, 'http', 'port'],
          message: `wait.http.port ${wait.http.port} is not among the step's ports (${listOrNone(step.run.ports)})`,
        });
      }
      checkTimeout(problems, [...waitPath, 'timeout'], wait?.timeout, LIMITS.wait);
    }
  });

  const checkNames = new Map<string, number>();
  spec.checks.forEach((check, index) => {
    const checkPath = ['checks', index];
    const earlier = checkNames.get(check.name);
    if (earlier !== undefined) {
      problems.push({
        specPath: [...checkPath, 'name'],
        message: `check name "${check.name}" is already used by checks[${earlier}]`,
      });
    }
    checkNames.set(check.name, index);
    walkMatchers(check.expect, [...checkPath, 'expect'], problems);

    const kinds = CHECK_KINDS.filter((kind) => check[kind] !== undefined);
    if (kinds.length !== 1) {
      problems.push({
        specPath: checkPath,
        message:
          kinds.length === 0
            ? `check "${check.name}" needs one of: ${CHECK_KINDS.join(', ')}`
            : `check "${check.name}" has more than one kind (${kinds.join(', ')}); split it into separate checks`,
      });
      return;
    }
    const target = check.exec ?? check.http;
    if (target !== undefined) {
      const kind = check.exec ? 'exec' : 'http';
      const run = runs.get(target.container);
      if (run === undefined) {
        problems.push({
          specPath: [...checkPath, kind, 'container'],
          message: `no run step is named "${target.container}" (run steps: ${listOrNone([...runs.keys()])})`,
        });
      }
      if (check.http && run && !(run.ports ?? []).includes(check.http.port)) {
        problems.push({
          specPath: [...checkPath, 'http', 'port'],
          message: `port ${check.http.port} is not published by run step "${target.container}" (ports: ${listOrNone(run.ports)})`,
        });
      }
      checkTimeout(
        problems,
        [...checkPath, kind, 'timeout'],
        target.timeout,
        check.exec ? LIMITS.exec : LIMITS.http,
      );
    }
  });

  steps.forEach((step, index) => {
    if (!('run' in step)) return;
    const builtAt = built.get(step.run.image);
    if (builtAt !== undefined && builtAt > index) {
      problems.push({
        specPath: ['steps', index, 'run', 'image'],
        message: `image "${step.run.image}" is built by a later step (steps[${builtAt}]); move the build first`,
      });
    }
  });
  return problems;
}

function listOrNone(items: ReadonlyArray<string | number> | undefined): string {
  return items && items.length > 0 ? items.join(', ') : 'none';
}

function checkTimeout(
  problems: SemanticProblem[],
  specPath: Array<string | number>,
  value: Duration | undefined,
  limit: Limit,
): void {
  if (value === undefined) return;
  if (durationMs(value) > limit.maxMs) {
    problems.push({ specPath, message: `timeout ${value} is over the maximum of ${limit.maxMs / 1000}s` });
  }
}

function checkRelativePath(
  problems: SemanticProblem[],
  specPath: Array<string | number>,
  value?: string,
): void {
  if (value === undefined) return;
  const normalised = path.posix.normalize(value.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normalised) || /^[a-zA-Z]:/.test(value)) {
    problems.push({ specPath, message: `path "${value}" must be relative to the submission folder` });
  } else if (normalised === '..' || normalised.startsWith('../')) {
    problems.push({ specPath, message: `path "${value}" leaves the submission folder` });
  }
}

function checkRegex(problems: SemanticProblem[], specPath: Array<string | number>, pattern: string): void {
  try {
    new RegExp(pattern);
  } catch (error) {
    problems.push({ specPath, message: `invalid regular expression: ${(error as Error).message}` });
  }
}

function walkMatchers(value: unknown, specPath: Array<string | number>, problems: SemanticProblem[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, inner] of Object.entries(value as Record<string, Matcher>)) {
    if (key === 'matches' && typeof inner === 'string') checkRegex(problems, [...specPath, key], inner);
    else walkMatchers(inner, [...specPath, key], problems);
  }
}
