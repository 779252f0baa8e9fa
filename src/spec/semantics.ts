// Rules the JSON Schema cannot express: references between steps and checks, unique names,
// limits, regular expressions that compile, paths that stay inside the submission.
import path from 'node:path';
import type { AnyCheckDefinition } from '../checks/check';
import { JOINABLE_ENGINE_NETWORKS } from '../naming/engine-networks';
import { durationMs, LIMITS, type Limit } from './duration';
import { EXERCISE_LANGUAGE, type ExerciseLanguage } from './language';
import { type CheckRules, type KindRules, listOrNone, type SpecPath, type StepRules } from './rules';
import type { CheckSpec, Duration, ExerciseSpec, RunStep, StepSpec, WaitConditions } from './types';

export interface SemanticProblem {
  specPath: Array<string | number>;
  /** Point at the key rather than its value. */
  key?: boolean;
  message: string;
}

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

  /** A network a container joins: a network step's (unless a script or compose may make it), or a builtin one. */
  network(specPath: SpecPath, name: string): void {
    if (name === 'host')
      this.add(specPath, 'the host network is not allowed: containers stay isolated from the grader');
    else if (!this.networks.has(name) && !JOINABLE_ENGINE_NETWORKS.has(name) && !this.open) {
      this.add(
        specPath,
        `no network step is named "${name}" (network steps: ${listOrNone([...this.networks])})`,
      );
    }
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

  /** The rules as a step kind sees them: paths relative to its body at `bodyPath`. */
  forStep(bodyPath: SpecPath, stepPath: SpecPath): StepRules {
    const at = (relative: SpecPath): SpecPath => [...bodyPath, ...relative];
    return {
      ...this.forKind(at),
      uniqueName: (relative, name) => this.uniqueName(at(relative), name, formatAt(stepPath)),
      declare: (what) => {
        if ('build' in what) this.builds.add(what.build);
        else if ('run' in what) this.runs.set(what.run.name, what.run);
        else this.networks.add(what.network);
      },
      waitConditions: this.language.waits.map(({ key }) => key),
      network: (relative, name) => this.network(at(relative), name),
      wait: (relative, wait, ports) => this.wait(at(relative), wait, ports),
    };
  }

  /** The rules as a check kind sees them: paths relative to its target at `targetPath`. */
  forCheck(targetPath: SpecPath, expectPath: SpecPath): CheckRules {
    const at = (relative: SpecPath): SpecPath => [...targetPath, ...relative];
    return { ...this.forKind(at), expectProblem: (key, message) => this.add([...expectPath, key], message) };
  }

  /** The rules every kind has, at paths that `at` makes absolute. */
  private forKind(at: (relative: SpecPath) => SpecPath): KindRules {
    return {
      remote: this.remote,
      problem: (relative, message) => this.add(at(relative), message),
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
    for (const condition of this.language.waits) {
      const value = wait[condition.key];
      if (value === undefined) continue;
      const at = (relative: SpecPath): SpecPath => [...specPath, condition.key, ...relative];
      // The condition and its value come from the same key, so their kinds agree.
      condition.validate?.(value as never, {
        regex: (relative, pattern) => this.regex(at(relative), pattern),
        published: (relative, port) => {
          if (ports === undefined || ports.includes(port)) return;
          const name = [condition.key, ...relative].join('.');
          this.add(at(relative), `wait.${name} ${port} is not among the step's ports (${listOrNone(ports)})`);
        },
      });
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
  // A validated step has exactly one key, naming its kind.
  const [kind, body] = Object.entries(step)[0] ?? [];
  const definition = rules.language.steps.find((candidate) => candidate.kind === kind);
  if (kind === undefined || definition === undefined) return;
  const at = [...stepPath, kind];
  // The schema made the body an object of the definition's own shape.
  const values = body as Record<string, unknown>;
  containerReference(rules, at, values, definition.containerKey);
  definition.validate?.(values, rules.forStep(at, stepPath));
}

/** The container a kind's definition names by its `key` must be one the exercise has. */
function containerReference(
  rules: Rules,
  at: SpecPath,
  values: Record<string, unknown>,
  key: string | undefined,
): void {
  const ref = key === undefined ? undefined : values[key];
  if (typeof ref === 'string') rules.container([...at, key ?? ''], ref);
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
  containerReference(rules, at, target, definition.containerKey);
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
