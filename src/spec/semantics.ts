// Rules the JSON Schema cannot express: references between steps and checks, unique names,
// limits, regular expressions that compile, paths that stay inside the submission.
import path from 'node:path';
import { JOINABLE_ENGINE_NETWORKS } from '../naming/engine-networks';
import { durationMs, LIMITS, type Limit } from './duration';
import {
  CHECK_KINDS,
  type CheckKind,
  type CheckSpec,
  type Duration,
  type ExerciseSpec,
  type RunStep,
  type StepSpec,
  type WaitConditions,
} from './types';

export interface SemanticProblem {
  specPath: Array<string | number>;
  /** Point at the key rather than its value. */
  key?: boolean;
  message: string;
}

type SpecPath = Array<string | number>;

/** Check kinds whose target names a container, and the key that names it. */
const CONTAINER_KEYS: Partial<Record<CheckKind, string>> = {
  exec: 'container',
  http: 'container',
  logs: 'container',
  file: 'container',
  container: 'name',
  reach: 'from',
};

class Rules {
  readonly problems: SemanticProblem[] = [];
  private readonly stepNames = new Map<string, string>();
  readonly runs = new Map<string, RunStep>();
  readonly builds = new Set<string>();
  readonly networks = new Set<string>();
  /** A script or compose step creates containers and networks the spec cannot know by name. */
  readonly open: boolean;
  /** A script step gives the student a remote machine (`remote: true`). */
  readonly remote: boolean;

  constructor(spec: ExerciseSpec) {
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

/** The ports a run step publishes ([] when none); undefined for containers no run step makes. */
function publishedBy(rules: Rules, container: string): number[] | undefined {
  const run = rules.runs.get(container);
  return run === undefined ? undefined : (run.ports ?? []);
}

function listOrNone(items: ReadonlyArray<string | number> | undefined): string {
  return items && items.length > 0 ? items.join(', ') : 'none';
}

export function semanticProblems(spec: ExerciseSpec): SemanticProblem[] {
  const rules = new Rules(spec);
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
      wait.container === undefined ? undefined : publishedBy(rules, wait.container),
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
    else if (!rules.networks.has(name) && !JOINABLE_ENGINE_NETWORKS.has(name) && !rules.open) {
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
  const kinds = CHECK_KINDS.filter((kind) => check[kind] !== undefined);
  if (kinds.length !== 1) {
    rules.add(
      checkPath,
      kinds.length === 0
        ? `check "${check.name}" needs one of: ${CHECK_KINDS.join(', ')}`
        : `check "${check.name}" has more than one kind (${kinds.join(', ')}); split it into separate checks`,
    );
    return;
  }
  const kind = kinds[0] as CheckKind;
  const at = [...checkPath, kind];
  const containerKey = CONTAINER_KEYS[kind];
  const target = check[kind] as Record<string, unknown>;
  const ref = containerKey === undefined ? undefined : target[containerKey];
  if (typeof ref === 'string') rules.container([...at, containerKey ?? ''], ref);
  if (check.container?.machine === 'remote' && !rules.remote) {
    rules.add(
      [...at, 'machine'],
      'machine: remote needs a remote machine, and no script step of this exercise has remote: true',
    );
  }

  if (check.http) {
    const run = rules.runs.get(check.http.container);
    if (run && !(run.ports ?? []).includes(check.http.port)) {
      rules.add(
        [...at, 'port'],
        `port ${check.http.port} is not published by run step "${check.http.container}" (ports: ${listOrNone(run.ports)})`,
      );
    }
    rules.timeout([...at, 'timeout'], check.http.timeout, LIMITS.http);
  }
  if (check.exec) rules.timeout([...at, 'timeout'], check.exec.timeout, LIMITS.exec);
  if (check.reach) {
    rules.timeout([...at, 'timeout'], check.reach.timeout, LIMITS.reach);
    if (check.reach.port === undefined && check.expect?.reachable !== undefined) {
      rules.add(
        [...checkPath, 'expect', 'reachable'],
        'reachable needs a port in the reach target (without one only resolves is observed)',
      );
    }
  }
  if (check.file && (check.file.container === undefined) === (check.file.image === undefined)) {
    rules.add(at, 'a file check needs exactly one of container, image');
  }
  if (check['build-cache']) {
    const build = check['build-cache'].build;
    if (!rules.builds.has(build)) {
      rules.add(
        [...at, 'build'],
        `no build step is named "${build}" (build steps: ${listOrNone([...rules.builds])})`,
      );
    }
    rules.relativePath([...at, 'change'], check['build-cache'].change);
  }
  if (check.dockerfile) rules.relativePath([...at, 'file'], check.dockerfile.file);
  if (check.answers) rules.relativePath([...at, 'file'], check.answers.file);
  if (check.protected) rules.relativePath([...at, 'file'], check.protected.file);
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
