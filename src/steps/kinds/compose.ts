// The student's compose file, run as a project unique to the exercise, by Compose in a client
// container behind the engine gate (student-docker.ts). The gate stamps the run's labels on
// every container, network, volume and image the project makes, so that the label cleanup
// finds them even if `down` never runs (the grader killed, a cancelled job).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'yaml';
import type { ContainerState } from '../../engine/engine';
import { composeProjectName } from '../../naming/resource-names';
import { type Failure, type Resources, type RunContext, remainingMs } from '../../run/context';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../../run/resolve';
import { errorMessage, InfraError } from '../../shared/errors';
import { pathExists } from '../../shared/paths';
import { isRecord } from '../../shared/records';
import { formatDuration, LIMITS, timeoutMs } from '../../spec/duration';
import { enumOf, objectOf, ref, typed } from '../../spec/json-schema';
import { stateSummary } from '../container-ref';
import { submissionPath } from '../paths';
import { logTail } from '../readiness';
import { defineStep, type StepBody } from '../step';
import { COMPOSE_COMMAND, runStudentDocker } from '../student-docker';
import { FirstErrorFinder, newInformation, tail } from '../text';
import { refusalNote } from './script';

/**
 * Looked for in this order when the step names no file: Compose v2's own order (compose-go's
 * DefaultFileNames), so that the grader runs the file `docker compose up` would run.
 */
export const DEFAULT_COMPOSE_FILES = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yml',
  'docker-compose.yaml',
];
/**
 * Beside a file found by default, Compose v2 also reads the first of these that exists
 * (compose-go's DefaultOverrideFileNames, whichever file was found); not with a named file.
 */
export const DEFAULT_COMPOSE_OVERRIDE_FILES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];
const MAX_COMPOSE_FILE_BYTES = 1024 * 1024;
const MAX_YAML_ALIASES = 100;
const OUTPUT_TAIL_LINES = 40;
const POLL_INTERVAL_MS = 250;
/** `down` at the end of the exercise runs whatever time is left: cleanup is not optional. */
const TEARDOWN_TIMEOUT_MS = 2 * 60_000;
/** Seconds `down` gives each container to stop before SIGKILL: nothing is kept, so no need to wait. */
const TEARDOWN_STOP_SECONDS = '2';

/** The actions, in the order the schema lists them, with the arguments each gives Compose. */
const ACTION_ARGS = {
  up: (step: { build?: boolean }) => ['up', '-d', ...(step.build === false ? [] : ['--build'])],
  // Volumes stay: "the data survives down + up" is what exercises check.
  down: () => ['down', '--remove-orphans'],
  stop: () => ['stop'],
  start: () => ['start'],
  restart: () => ['restart'],
};

type ComposeAction = keyof typeof ACTION_ARGS;

export const composeStep = defineStep('compose', {
  schema: objectOf("Runs the student's compose file (Compose v2 or v1) as a project unique to the run.", {
    file: ref(
      'relativePath',
      'The compose file, alone. Default: what docker compose finds, the first of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml, with the first override file (compose.override.yml, ...) beside it.',
    ),
    action: enumOf(Object.keys(ACTION_ARGS) as ComposeAction[], 'Default up.'),
    build: typed<boolean>({ type: 'boolean', description: 'Build images before up (default true).' }),
    wait: objectOf({
      healthy: typed<boolean>({
        type: 'boolean',
        description: 'Every service with a healthcheck is healthy.',
      }),
      running: typed<boolean>({ type: 'boolean', description: 'Every service is running (default true).' }),
      timeout: ref('duration', 'Default 60s, at most 10m.'),
    }),
    timeout: ref('duration', 'Default 5m, at most 30m.'),
  }),
  validate(step, rules) {
    rules.relativePath(['file'], step.file);
    rules.timeout(['timeout'], step.timeout, LIMITS.compose);
    rules.timeout(['wait', 'timeout'], step.wait?.timeout, LIMITS.composeWait);
  },
  describe: (step) => `compose ${step.action ?? 'up'} (${step.file ?? 'the compose file Compose finds'})`,
  async run(step, context) {
    const compose = COMPOSE_COMMAND;
    const files = await composeFiles(step, context.submissionDir);
    if ('failure' in files) return files.failure;
    const file = files.main;
    const model = await readComposeModel(files);
    if ('failure' in model) return model.failure;
    const project = openProject(context);
    const paths = files.all.map((one) => one.path);
    project.files.set(paths.join('\0'), paths);
    const action = step.action ?? 'up';
    const limitMs = remainingMs(context, timeoutMs(step.timeout, LIMITS.compose));
    const args = [...compose.args, '-p', project.name, ...fileArgs(paths), ...ACTION_ARGS[action](step)];
    // Every line, not just the tail the report keeps: the first error is often far above it.
    const firstError = new FirstErrorFinder();
    const result = await runStudentDocker(context, compose.command, args, {
      cwd: path.dirname(file.path),
      timeoutMs: limitMs,
      onLine: (line) => {
        firstError.push(line);
        context.progress.output(line);
      },
    }).catch((error: unknown) => {
      if (error instanceof InfraError) throw error;
      throw new InfraError(`${compose.command} could not be started: ${errorMessage(error)}`);
    });
    const what = `${[compose.command, ...compose.args].join(' ')} ${action}`;
    for (const refusal of result.refusals) context.progress.info(`  refused by the grader: ${refusal}`);
    if (result.timedOut) {
      const message = `${what} did not finish within ${formatDuration(limitMs)}; it was stopped`;
      return {
        message,
        expected: `it finishes within ${formatDuration(limitMs)}`,
        actual: ['still running', ...result.stillRunning].join('; '),
        log: tail(result.output, OUTPUT_TAIL_LINES),
        ...newInformation(firstError.line, message),
      };
    }
    if (result.exitCode !== 0) {
      const message = `${what} failed with exit code ${result.exitCode} (${files.all.map((one) => one.name).join(' + ')})${refusalNote(result.refusals)}`;
      return {
        message,
        expected: 'exit code 0',
        actual: `exit code ${result.exitCode}`,
        log: tail(result.output, OUTPUT_TAIL_LINES),
        ...newInformation(firstError.line, message),
      };
    }
    if (action === 'up' || action === 'start' || action === 'restart') {
      return waitForServices(project.name, model.services, step.wait ?? {}, context);
    }
    return undefined;
  },
});

type ComposeStep = StepBody<typeof composeStep>;

export interface ComposeFile {
  path: string;
  /** As the student knows it, for messages. */
  name: string;
}

export interface ComposeFiles {
  /** The compose file itself: the step's, or the first default name that exists. */
  main: ComposeFile;
  /** What Compose is given, in order: the main file, then the override file it found by default. */
  all: ComposeFile[];
}

/** The files `docker compose` reads: the named one, or those it finds by itself in the submission folder. */
export async function composeFiles(
  step: ComposeStep,
  submissionDir: string,
): Promise<ComposeFiles | { failure: Failure }> {
  if (step.file !== undefined) {
    const found = await submissionPath(submissionDir, step.file, 'compose file');
    if ('failure' in found) return found;
    const main = { path: found.path, name: step.file };
    return { main, all: [main] };
  }
  const main = await firstExisting(submissionDir, DEFAULT_COMPOSE_FILES);
  if (main === undefined) {
    return {
      failure: {
        message: `the submission has no compose file (looked for ${DEFAULT_COMPOSE_FILES.join(', ')}, as docker compose does)`,
      },
    };
  }
  if ('failure' in main) return main;
  const override = await firstExisting(submissionDir, DEFAULT_COMPOSE_OVERRIDE_FILES);
  if (override !== undefined && 'failure' in override) return override;
  return { main, all: override === undefined ? [main] : [main, override] };
}

async function firstExisting(
  submissionDir: string,
  names: string[],
): Promise<ComposeFile | { failure: Failure } | undefined> {
  for (const name of names) {
    if (!(await pathExists(path.join(submissionDir, name)))) continue;
    const found = await submissionPath(submissionDir, name, 'compose file');
    return 'failure' in found ? found : { path: found.path, name };
  }
  return undefined;
}

function fileArgs(paths: string[]): string[] {
  return paths.flatMap((file) => ['-f', file]);
}

/** What the step needs to know of the student's compose file. */
export interface ComposeModel {
  /** Services started by a plain `up` (no profile, not scaled to 0). */
  services: string[];
}

/** The services of the main file, with what an override file adds or changes (profiles, scale). */
export async function readComposeModel(files: ComposeFiles): Promise<ComposeModel | { failure: Failure }> {
  let services: Record<string, unknown> = {};
  for (const file of files.all) {
    const info = await stat(file.path);
    if (info.size > MAX_COMPOSE_FILE_BYTES) {
      return { failure: { message: `${file.name} is larger than ${MAX_COMPOSE_FILE_BYTES} bytes` } };
    }
    const text = await readFile(file.path, 'utf8');
    const read = file === files.main ? composeServices(text, file.name) : overrideServices(text, file.name);
    if ('failure' in read) return read;
    services = mergeServices(services, read.services);
  }
  return modelOf(services);
}

export function composeModel(text: string, name: string): ComposeModel | { failure: Failure } {
  const read = composeServices(text, name);
  return 'failure' in read ? read : modelOf(read.services);
}

function modelOf(services: Record<string, unknown>): ComposeModel {
  return {
    services: Object.entries(services)
      .filter(([, body]) => !isRecord(body) || startsByDefault(body))
      .map(([service]) => service),
  };
}

/** A Compose file's services by name, or why they could not be read. */
type ServicesOrFailure = { services: Record<string, unknown> } | { failure: Failure };

/** An override file may define no services (only networks, say): Compose itself says if it is wrong. */
function overrideServices(text: string, name: string): ServicesOrFailure {
  const data = parseYaml(text, name);
  if ('failure' in data) return data;
  const services = isRecord(data.value) ? data.value.services : undefined;
  return { services: isRecord(services) ? services : {} };
}

/** Each service's keys from the later file replace the earlier file's (enough for profiles and scale). */
function mergeServices(
  base: Record<string, unknown>,
  later: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [service, body] of Object.entries(later)) {
    const before = merged[service];
    merged[service] = isRecord(before) && isRecord(body) ? { ...before, ...body } : body;
  }
  return merged;
}

function parseYaml(text: string, name: string): { value: unknown } | { failure: Failure } {
  try {
    return { value: parse(text, { maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (error) {
    return { failure: { message: `${name} is not valid YAML: ${(error as Error).message}` } };
  }
}

function composeServices(text: string, name: string): ServicesOrFailure {
  const parsed = parseYaml(text, name);
  if ('failure' in parsed) return parsed;
  const data = parsed.value;
  if (!isRecord(data) || !isRecord(data.services) || Object.keys(data.services).length === 0) {
    return {
      failure: {
        message: `${name} defines no services`,
        expected: 'a top-level "services:" mapping',
        actual: isRecord(data)
          ? `top-level keys: ${Object.keys(data).join(', ') || 'none'}`
          : 'not a mapping',
      },
    };
  }
  return { services: data.services };
}

function startsByDefault(service: Record<string, unknown>): boolean {
  if (Array.isArray(service.profiles) && service.profiles.length > 0) return false;
  if (service.scale === 0) return false;
  const deploy = service.deploy;
  return !(isRecord(deploy) && deploy.replicas === 0);
}

interface Project {
  name: string;
  /**
   * The sets of compose files the exercise used (a file with the override Compose found beside
   * it), in order, keyed by their paths: `down` runs with each set at the end.
   */
  files: Map<string, string[]>;
}

/** One project per exercise; its Resources object is the exercise. */
const projects = new WeakMap<Resources, Project>();

/** The exercise's project: registered for checks and teardown before anything is started. */
function openProject(context: RunContext): Project {
  const known = projects.get(context.resources);
  if (known) return known;
  const project: Project = { name: composeProjectName(context.scope), files: new Map() };
  projects.set(context.resources, project);
  if (!context.resources.composeProjects.includes(project.name)) {
    context.resources.composeProjects.push(project.name);
  }
  context.resources.teardowns.push(() => tearDownProject(context, project));
  return project;
}

/** `down` with every file the exercise used, newest first: each removes its own services and networks. */
async function tearDownProject(context: RunContext, project: Project): Promise<void> {
  const compose = COMPOSE_COMMAND;
  const problems: string[] = [];
  for (const files of [...project.files.values()].reverse()) {
    const args = [
      ...compose.args,
      '-p',
      project.name,
      ...fileArgs(files),
      'down',
      '-v',
      '--remove-orphans',
      '--rmi',
      'local',
      '-t',
      TEARDOWN_STOP_SECONDS,
    ];
    const result = await runStudentDocker(context, compose.command, args, {
      cwd: path.dirname(files[0] ?? context.submissionDir),
      timeoutMs: TEARDOWN_TIMEOUT_MS,
    }).catch((error: unknown) => ({ exitCode: null, output: String(error), timedOut: false }));
    if (result.exitCode !== 0) {
      const why = result.timedOut ? 'timed out' : `exit code ${result.exitCode}`;
      problems.push(`compose down of project ${project.name} failed (${why}): ${tail(result.output, 5)}`);
    }
  }
  // What `down` left (it carries our labels) goes with the label cleanup that follows.
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

interface ComposeWait {
  healthy?: boolean;
  running?: boolean;
  timeout?: string | number;
}

/** Until every service runs (and, with `healthy`, every healthcheck says healthy), or the time is up. */
async function waitForServices(
  project: string,
  services: string[],
  wait: ComposeWait,
  context: RunContext,
): Promise<Failure | undefined> {
  const wantRunning = wait.running ?? true;
  const wantHealthy = wait.healthy ?? false;
  if (!wantRunning && !wantHealthy) return undefined;
  const limitMs = remainingMs(context, timeoutMs(wait.timeout, LIMITS.composeWait));
  const deadline = context.now() + limitMs;
  const expected = wantHealthy
    ? 'every service running, and healthy where it has a healthcheck'
    : 'every service running';
  let pending: { reason: string; containerId?: string } | undefined;
  for (;;) {
    const verdict = await serviceVerdict(project, services, wantRunning, wantHealthy, context);
    if (verdict === undefined) return undefined;
    if (verdict.final) {
      return {
        message: `compose service ${verdict.reason}`,
        expected,
        actual: verdict.reason,
        log: verdict.containerId ? await logTail(context, verdict.containerId) : undefined,
      };
    }
    pending = verdict;
    if (context.now() + POLL_INTERVAL_MS >= deadline) break;
    await delay(POLL_INTERVAL_MS);
  }
  return {
    message: `compose services were not ready within ${formatDuration(limitMs)}: service ${pending.reason}`,
    expected,
    actual: pending.reason,
    log: pending.containerId ? await logTail(context, pending.containerId) : undefined,
  };
}

interface Verdict {
  reason: string;
  containerId?: string;
  /** Waiting longer cannot help: the service exited and nothing restarts it. */
  final?: boolean;
}

async function serviceVerdict(
  project: string,
  services: string[],
  wantRunning: boolean,
  wantHealthy: boolean,
  context: RunContext,
): Promise<Verdict | undefined> {
  const containers = await context.engine.listContainers({ [COMPOSE_PROJECT_LABEL]: project });
  for (const service of services) {
    const own = containers.filter(
      (container) =>
        container.labels[COMPOSE_SERVICE_LABEL] === service &&
        container.labels['com.docker.compose.oneoff'] !== 'True',
    );
    if (own.length === 0) return { reason: `"${service}" has no container` };
    for (const summary of own) {
      const state = await context.engine.inspectContainer(summary.id);
      if (wantRunning && !state.running) {
        const final = stoppedForGood(state);
        return {
          reason: `"${service}" is not running (${stateSummary(state)}${final ? restartNotApplied(state) : ''})`,
          containerId: state.id,
          final,
        };
      }
      if (wantHealthy && state.running && state.health !== undefined && state.health !== 'healthy') {
        return {
          reason: `"${service}" health is "${state.health}", expected "healthy"`,
          containerId: state.id,
        };
      }
    }
  }
  return undefined;
}

/**
 * Exited with no restart policy that would bring it back: the daemon's, which is "no" for a
 * container bind-mounting a host path whatever the student asked (docs/decisions.md).
 */
function stoppedForGood(state: ContainerState): boolean {
  if (state.status !== 'exited' && state.status !== 'dead') return false;
  const policy = state.daemonRestartPolicy;
  if (policy === 'always' || policy === 'unless-stopped') return false;
  return !(policy === 'on-failure' && state.exitCode !== 0);
}

/** Why a service with `restart:` was not restarted, when the grader kept its policy from the daemon. */
function restartNotApplied(state: ContainerState): string {
  if (state.restartPolicy === state.daemonRestartPolicy) return '';
  return `; its restart policy "${state.restartPolicy}" is not applied by the engine during grading because it bind-mounts a host folder`;
}
