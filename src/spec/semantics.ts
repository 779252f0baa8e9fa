// Rules the JSON Schema cannot express: references between steps and checks, unique names,
// limits, regular expressions that compile, paths that stay inside the submission.
import path from 'node:path';
import type { AnyCheckDefinition } from '../checks/check';
import { durationMs, LIMITS, type Limit } from './duration';
import { EXERCISE_LANGUAGE, type ExerciseLanguage } from './language';
import { type CheckRules, listOrNone, type SpecPath } from './rules';
import type { CheckSpec, Duration, ExerciseSpec, RunStep, StepSpec, WaitConditions } from './types';

export interface SemanticProblem {
  specPath: Array<string | number>;
  /** Point at the key rather than its value. */
  key?: boolean;
  message: string;
}

/** Networks a container may join by name without a network step; `host` is never allowed. */
const BUILTIN_NETWORKS = new Set(['bridge', 'none']);

class Rules {
  readonly language: ExerciseLanguage;
  readonly problems: SemanticProblem[] = [];
  private readonly stepNames = new Map<string, string>();
  readonly runs = new Map<string, RunStep>();
  readonly builds = new Set<string>();
  readonly networks = new Set<string>();
  /** A script or compose step creates containers and networks the spec cannot know by name. */
  readonly open: boolean;
  /** A script step gives the student a remote machine (`remote: true`). */
  readonly remote: boolean;

  constructor(spec: ExerciseSpec, language: ExerciseLanguage) {
    this.language = language;
    const all = [...(spec.steps ?? []), ...spec.checks.flatMap((check) => check.steps ?? [])];
    this.open = all.some((step) => 'script' in step || 'compose' in step);
    this.remote = all.some((step) => 'script' in step && step.script.remote === true);
  }

  add(specPath: SpecPath, message: string, key = false): void {
    this.problems.push({ specPath, message, ...(key ? { key } : {}) });
  }

  timeout(specPath: SpecPath, value: Duration | undefined, limit: Limit): void {
    if (value !== undefined && durationMs(value) > limit.maxMs) {
      this.add(specPath, `timeout ${value} is over the maximum of ${limit.maxMs / 1000}s`);
    }
  }

  relativePath(specPath: SpecPath, value: string | undefined): void {
    if (value === undefined) return;
    const normalised = path.posix.normalize(value.replace(/\\/g, '/'));
    if (path.posix.isAbsolute(normalised) || /^[a-zA-Z]:/.test(value)) {
      this.add(specPath, `path "${value}" must be relative to the submission folder`);
    } else if (normalised === '..' || normalised.startsWith('../')) {
      this.add(specPath, `path "${value}" leaves the submission folder`);
    }
  }

  regex(specPath: SpecPath, pattern: string): void {
    try {
      new RegExp(pattern);
    } catch (error) {
      this.add(specPath, `invalid regular expression: ${(error as Error).message}`);
    }
  }

  uniqueName(specPath: SpecPath, name: string, where: string): void {
    const earlier = this.stepNames.get(name);
    if (earlier !== undefined) this.add(specPath, `step name "${name}" is already used by ${earlier}`);
    else this.stepNames.set(name, where);
  }

  /** A container reference must name a run step, unless a script or compose may have made it. */
  container(specPath: SpecPath, ref: string, runOnly = false): void {
    if (this.runs.has(ref) || (this.open && !runOnly)) return;
    this.add(specPath, `no run step is named "${ref}" (run steps: ${listOrNone([...this.runs.keys()])})`);
  }

  build(specPath: SpecPath, name: string): void {
    if (!this.builds.has(name)) {
      this.add(specPath, `no build step is named "${name}" (build steps: ${listOrNone([...this.builds])})`);
    }
  }

  /** The ports a run step publishes ([] when none); undefined for containers no run step makes. */
  publishedPorts(container: string): number[] | undefined {
    const run = this.runs.get(container);
    return run === undefined ? undefined : (run.ports ?? []);
  }

  /** The rules as a check kind sees them: paths relative to its target at `targetPath`. */
  forCheck(targetPath: SpecPath, expectPath: SpecPath): CheckRules {
    const at = (relative: SpecPath): SpecPath => [...targetPath, ...relative];
    return {
      remote: this.remote,
      problem: (relative, message) => this.add(at(relative), message),
      expectProblem: (key, message) => this.add([...expectPath, key], message),
      timeout: (relative, value, limit) => this.timeout(at(relative), value, limit),
      relativePath: (relative, value) => this.relativePath(at(relative), value),
      regex: (relative, pattern) => this.regex(at(relative), pattern),
      container: (relative, ref, runOnly) => this.container(at(relative), ref, runOnly),
      build: (relative, name) => this.build(at(relative), name),
      publishedPorts: (container) => this.publishedPorts(container),
    };
  }

  wait(specPath: SpecPath, wait: WaitConditions | undefined, ports: number[] | undefined): void {
    if (wait === undefined) return;
    const log = wait.log;
    if (typeof log === 'string') this.regex([...specPath, 'log'], log);
    else if (log !== undefined) this.regex([...specPath, 'log', 'matches'], log.matches);
    for (const [key, port] of [
      ['http', wait.http?.port],
      ['port', wait.port],
    ] as const) {
      if (port !== undefined && ports !== undefined && !ports.includes(port)) {
        this.add(
          key === 'http' ? [...specPath, 'http', 'port'] : [...specPath, 'port'],
          `wait.${key === 'http' ? 'http.port' : 'port'} ${port} is not among the step's ports (${listOrNone(ports)})`,
        );
      }
    }
    this.timeout([...specPath, 'timeout'], wait.timeout, LIMITS.wait);
  }
}

export function semanticProblems(
  spec: ExerciseSpec,
  language: ExerciseLanguage = EXERCISE_LANGUAGE,
): SemanticProblem[] {
  const rules = new Rules(spec, language);
  rules.timeout(['timeout'], spec.timeout, LIMITS.exercise);
  rules.relativePath(['submission'], spec.submission);
  if (spec.policy !== undefined && !rules.open) {
    rules.add(
      ['policy'],
      'policy applies to the docker commands of script and compose steps, and this exercise has none',
      true,
    );
  }
  for (const [index, step] of (spec.steps ?? []).entries()) checkStep(rules, step, ['steps', index]);

  const checkNames = new Map<string, number>();
  spec.checks.forEach((check, index) => {
    const checkPath = ['checks', index];
    const earlier = checkNames.get(check.name);
    if (earlier !== undefined) {
      rules.add([...checkPath, 'name'], `check name "${check.name}" is already used by checks[${earlier}]`);
    }
    checkNames.set(check.name, index);
    for (const [stepIndex, step] of (check.steps ?? []).entries()) {
      checkStep(rules, step, [...checkPath, 'steps', stepIndex]);
    }
    checkCheck(rules, check, checkPath);
  });
  return rules.problems;
}

function checkStep(rules: Rules, step: StepSpec, stepPath: SpecPath): void {
  if ('build' in step) {
    const at = [...stepPath, 'build'];
    rules.uniqueName([...at, 'name'], step.build.name, formatAt(stepPath));
    rules.builds.add(step.build.name);
    rules.relativePath([...at, 'context'], step.build.context);
    rules.relativePath([...at, 'dockerfile'], step.build.dockerfile);
    rules.timeout([...at, 'timeout'], step.build.timeout, LIMITS.build);
  } else if ('run' in step) {
    checkRun(rules, step.run, [...stepPath, 'run'], stepPath);
  } else if ('network' in step) {
    rules.uniqueName([...stepPath, 'network', 'name'], step.network.name, formatAt(stepPath));
    rules.networks.add(step.network.name);
  } else if ('volume' in step) {
    rules.uniqueName([...stepPath, 'volume', 'name'], step.volume.name, formatAt(stepPath));
  } else if ('exec' in step) {
    rules.container([...stepPath, 'exec', 'container'], step.exec.container);
    rules.timeout([...stepPath, 'exec', 'timeout'], step.exec.timeout, LIMITS.exec);
  } else if ('copy' in step) {
    const from = step.copy.from;
    if (typeof from === 'string') rules.relativePath([...stepPath, 'copy', 'from'], from);
    else rules.container([...stepPath, 'copy', 'from', 'container'], from.container);
    rules.container([...stepPath, 'copy', 'to', 'container'], step.copy.to.container);
  } else if ('stop' in step) {
    rules.container([...stepPath, 'stop', 'container'], step.stop.container);
    rules.timeout([...stepPath, 'stop', 'timeout'], step.stop.timeout, LIMITS.stop);
  } else if ('kill' in step) {
    rules.container([...stepPath, 'kill', 'container'], step.kill.container);
  } else if ('restart' in step) {
    rules.container([...stepPath, 'restart', 'container'], step.restart.container);
  } else if ('recreate' in step) {
    rules.container([...stepPath, 'recreate', 'container'], step.recreate.container, true);
    rules.wait(
      [...stepPath, 'recreate', 'wait'],
      step.recreate.wait,
      rules.runs.get(step.recreate.container)?.ports,
    );
  } else if ('wait' in step) {
    const wait = step.wait;
    if (wait.container !== undefined) rules.container([...stepPath, 'wait', 'container'], wait.container);
    const conditions = ['log', 'http', 'port', 'healthy', 'exited'].filter((key) => key in wait);
    if (wait.duration === undefined && (wait.container === undefined || conditions.length === 0)) {
      rules.add(
        [...stepPath, 'wait'],
        'a wait step needs a duration, or a container and a condition (log, http, port, healthy, exited)',
      );
    }
    rules.wait(
      [...stepPath, 'wait'],
      wait,
      wait.container === undefined ? undefined : rules.publishedPorts(wait.container),
    );
  } else if ('script' in step) {
    rules.relativePath([...stepPath, 'script', 'file'], step.script.file);
    rules.timeout([...stepPath, 'script', 'timeout'], step.script.timeout, LIMITS.script);
  } else if ('compose' in step) {
    rules.relativePath([...stepPath, 'compose', 'file'], step.compose.file);
    rules.timeout([...stepPath, 'compose', 'timeout'], step.compose.timeout, LIMITS.compose);
    rules.timeout(
      [...stepPath, 'compose', 'wait', 'timeout'],
      step.compose.wait?.timeout,
      LIMITS.composeWait,
    );
  }
}

function checkRun(rules: Rules, run: RunStep, at: SpecPath, stepPath: SpecPath): void {
  rules.uniqueName([...at, 'name'], run.name, formatAt(stepPath));
  rules.runs.set(run.name, run);
  (run.volumes ?? []).forEach((volume, index) => {
    const source = typeof volume === 'string' ? (volume.split(':')[0] ?? '') : volume.source;
    const isBind =
      typeof volume === 'string' ? /^[./]/.test(source) : volume.type === 'bind' || /^[./]/.test(source);
    if (isBind) {
      const where =
        typeof volume === 'string' ? [...at, 'volumes', index] : [...at, 'volumes', index, 'source'];
      if (path.posix.isAbsolute(source)) {
        rules.add(where, `bind mount source "${source}" must be a folder of the submission, like ./html`);
      } else rules.relativePath(where, source);
    }
  });
  (run.networks ?? []).forEach((network, index) => {
    const name = typeof network === 'string' ? network : network.name;
    const where =
      typeof network === 'string' ? [...at, 'networks', index] : [...at, 'networks', index, 'name'];
    if (name === 'host')
      rules.add(where, 'the host network is not allowed: containers stay isolated from the grader');
    else if (!rules.networks.has(name) && !BUILTIN_NETWORKS.has(name) && !rules.open) {
      rules.add(
        where,
        `no network step is named "${name}" (network steps: ${listOrNone([...rules.networks])})`,
      );
    }
  });
  rules.wait([...at, 'wait'], run.wait, run.ports ?? []);
}

function checkCheck(rules: Rules, check: CheckSpec, checkPath: SpecPath): void {
  walkMatchers(rules, check.expect, [...checkPath, 'expect']);
  const values = check as Record<string, unknown>;
  const definitions = rules.language.checks.filter((definition) => values[definition.kind] !== undefined);
  if (definitions.length !== 1) {
    const kinds = (definitions.length === 0 ? rules.language.checks : definitions).map(({ kind }) => kind);
    rules.add(
      checkPath,
      definitions.length === 0
        ? `check "${check.name}" needs one of: ${kinds.join(', ')}`
        : `check "${check.name}" has more than one kind (${kinds.join(', ')}); split it into separate checks`,
    );
    return;
  }
  const definition = definitions[0] as AnyCheckDefinition;
  const at = [...checkPath, definition.kind];
  // The schema made the target an object of the definition's own shape.
  const target = values[definition.kind] as Record<string, unknown>;
  const key = definition.containerKey;
  const ref = key === undefined ? undefined : target[key];
  if (typeof ref === 'string') rules.container([...at, key ?? ''], ref);
  definition.validate?.(target, rules.forCheck(at, [...checkPath, 'expect']), check.expect);
}

/** Lists of step matchers (dockerfile `sequence`, build-cache `fromCache`/`ranAgain`), whose items may hold `matches`. */
const STEP_MATCHER_LISTS = new Set(['sequence', 'steps', 'fromCache', 'ranAgain']);

function walkMatchers(rules: Rules, value: unknown, specPath: SpecPath): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (STEP_MATCHER_LISTS.has(key) && Array.isArray(inner)) {
      inner.forEach((item, index) => {
        walkMatchers(rules, item, [...specPath, key, index]);
      });
    } else if (key === 'matches' && typeof inner === 'string') rules.regex([...specPath, key], inner);
    else if (key === 'inOrder' && Array.isArray(inner)) {
      inner.forEach((pattern, index) => {
        if (typeof pattern === 'string') rules.regex([...specPath, key, index], pattern);
      });
    } else if (key !== 'equals' && key !== 'json' && key !== 'oneOf')
      walkMatchers(rules, inner, [...specPath, key]);
  }
}

function formatAt(specPath: SpecPath): string {
  return specPath
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
}
