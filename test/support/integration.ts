// What the integration tests share about the machine they run on: the engine under test and the
// docker CLIs, running the bundled CLI and action as separate processes, the Actions runner's
// files and workflow commands, and waiting for state only the engine can tell.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runReferences } from '../../src/naming/image-references';
import { RUN_LABEL } from '../../src/naming/labels';

export const ROOT = path.resolve(__dirname, '../..');
export const EXAMPLE = path.join(ROOT, 'exercises/images/flask-app');
export const CLI = path.join(ROOT, 'dist/cli/index.js');
export const ACTION = path.join(ROOT, 'dist/index.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; what it printed and its exit code (null: killed by a signal). */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a bundled entry point as a user (or the runner) would: a separate node process. */
export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = ROOT,
): Promise<Run> {
  return runProcess(process.execPath, [script, ...args], { cwd, env: { ...process.env, ...env } });
}

/**
 * Asks `check` again every pollMs until it returns a value (not undefined) or timeoutMs passed:
 * for state that only the engine can tell and tells no event of.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; pollMs: number },
): Promise<T> {
  const giveUpAt = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > giveUpAt)
      throw new Error(`timed out waiting for ${what} (last error: ${String(lastError)})`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `${prefix}-`));
}

const execFileAsync = promisify(execFile);

/**
 * The engine under test: DOCKER_HOST (scripts/test.sh runs the suite once per engine), else the
 * default socket. Its socket, for tests that put a proxy in front of it.
 */
export const ENGINE_HOST = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
export const ENGINE_SOCKET = unixSocketOf(ENGINE_HOST);

function unixSocketOf(host: string): string {
  if (!host.startsWith('unix://')) {
    throw new Error(`the integration tests need a unix:// engine (DOCKER_HOST is ${JSON.stringify(host)})`);
  }
  return host.slice('unix://'.length);
}

/**
 * Folders holding the dockerd, containerd and their helpers of the engine under test, searched
 * before PATH when a test starts a private dockerd (test/support/private-engine.ts), so that
 * it runs the same engine version as the shared one: DOCKER_ENGINE_PATH (colon-separated, set by
 * scripts/test.sh for the second engine), else PATH alone.
 */
export const ENGINE_BIN_PATH = [process.env.DOCKER_ENGINE_PATH, process.env.PATH]
  .filter((part) => part !== undefined && part !== '')
  .join(':');
/**
 * A capability of the engine under test, not its version: whether its image inspect (at its own
 * API version) still carries `ContainerConfig`. Engine 25 (API 1.44) dropped it, and
 * docker-compose v1 cannot recreate a container without it (docker/compose#11742), so the
 * tests of compose v1 run only where it works.
 */
export function engineServesContainerConfig(image = 'busybox'): boolean {
  try {
    const inspect = execFileSync(
      'curl',
      ['-sf', '--unix-socket', ENGINE_SOCKET, `http://localhost/images/${image}/json`],
      { encoding: 'utf8', timeout: 20_000 },
    );
    return 'ContainerConfig' in (JSON.parse(inspect) as Record<string, unknown>);
  } catch {
    return false;
  }
}

/** The docker CLIs here, newest first: the static v28 the provisioning installs, then Debian's 20.10. */
export const DOCKER_CLIS = ['/usr/local/bin/docker', '/usr/bin/docker'].filter((cli) => existsSync(cli));

/**
 * The docker CLI as a student's script runs it: on the policy proxy's socket, its config in
 * `home`, the classic builder. Never rejects: the exit code says how it went.
 */
export function dockerThroughProxy(
  socketPath: string,
  home: string,
  args: string[],
  options: { cli?: string; timeoutMs: number; cwd: string },
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      options.cli ?? DOCKER_CLIS[0] ?? 'docker',
      args,
      {
        cwd: options.cwd,
        timeout: options.timeoutMs,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          DOCKER_HOST: `unix://${socketPath}`,
          DOCKER_BUILDKIT: '0',
        },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The docker CLI on the engine itself, as a bystander (or the test's own inspection). */
export async function onEngine(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', ['-H', `unix://${ENGINE_SOCKET}`, ...args]);
  return stdout.trim();
}

/** The docker CLI on some engine: the shared one by default, or a private one of a test. */
export type DockerCli = (...args: string[]) => Promise<string>;

const sharedDocker: DockerCli = async (...args) => (await execFileAsync('docker', args)).stdout;

/** What carries the label filter on the engine, and with the run label the run's image tags too. */
export async function labelled(filter: string, docker: DockerCli = sharedDocker): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of [
    ['ps', '-a'],
    ['network', 'ls'],
    ['volume', 'ls'],
    ['image', 'ls'],
  ]) {
    const stdout = await docker(...kind, '-q', '--filter', `label=${filter}`);
    ids.push(...stdout.split('\n').filter(Boolean));
  }
  const [key, runId] = filter.split('=', 2);
  if (key === RUN_LABEL) {
    ids.push(...(await runImageReferences(runId === undefined ? 'allRuns' : { runId }, docker)));
  }
  return ids;
}

/** The grader's run-owned image tags left on the engine, by the docker CLI. */
export async function runImageReferences(
  selection: Parameters<typeof runReferences>[0],
  docker: DockerCli = sharedDocker,
): Promise<string[]> {
  const { patterns, matches } = runReferences(selection);
  const filters = patterns.flatMap((pattern) => ['--filter', `reference=${pattern}`]);
  const stdout = await docker('image', 'ls', ...filters, '--format', '{{.Repository}}:{{.Tag}}');
  return stdout.split('\n').filter((reference) => reference !== '' && matches(reference));
}

export interface RunnerFiles {
  dir: string;
  env: NodeJS.ProcessEnv;
}

export interface RunnerOptions {
  /** The event payload (GITHUB_EVENT_PATH); default: a pull_request event for #7. */
  event?: unknown;
  eventName?: string;
  /** More environment, e.g. GITHUB_REPOSITORY or GITHUB_API_URL. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The files and variables the Actions runner gives a step: INPUT_* variables, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, GITHUB_STATE and an event file, in a fresh folder.
 */
export function runnerFiles(inputs: Record<string, string>, options: RunnerOptions = {}): RunnerFiles {
  const dir = tempDir('runner');
  const files = { output: 'output.txt', summary: 'summary.md', state: 'state.txt', event: 'event.json' };
  for (const name of Object.values(files)) writeFileSync(path.join(dir, name), '');
  const event = options.event ?? {
    action: 'synchronize',
    number: 7,
    pull_request: { number: 7, head: { sha: 'abc123' } },
  };
  writeFileSync(path.join(dir, files.event), JSON.stringify(event));
  const env: NodeJS.ProcessEnv = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ROOT,
    GITHUB_EVENT_NAME: options.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: path.join(dir, files.event),
    GITHUB_OUTPUT: path.join(dir, files.output),
    GITHUB_STEP_SUMMARY: path.join(dir, files.summary),
    GITHUB_STATE: path.join(dir, files.state),
    RUNNER_TEMP: dir,
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return { dir, env };
}

/** How a step of the action went: its exit and output, and what it left in the runner's files. */
export interface ActionRun extends Run {
  /** GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** GITHUB_STATE: what the main step saves for the post step. */
  state: Record<string, string>;
}

/** The action's main step on these runner files, as the runner starts it, run to its end. */
export async function runAction(runner: RunnerFiles): Promise<ActionRun> {
  const run = await runNode(ACTION, [], runner.env);
  return {
    ...run,
    outputs: parseRunnerFile(runner.env.GITHUB_OUTPUT ?? ''),
    state: parseRunnerFile(runner.env.GITHUB_STATE ?? ''),
  };
}

/**
 * The action's post step, as the runner starts it: the main step's environment, and the state
 * the main step saved (GITHUB_STATE) handed over as STATE_* variables.
 */
export function runPostStep(runner: RunnerFiles, state: Record<string, string>): Promise<Run> {
  const stateEnv = Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]));
  return runNode(ACTION, [], { ...runner.env, ...stateEnv });
}

/** Parses the runner's key<<delimiter file format (GITHUB_OUTPUT, GITHUB_STATE). */
export function parseRunnerFile(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match) continue;
    const [, name = '', delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    values[name] = value.join('\n');
  }
  return values;
}

/**
 * Lines the runner would act on as workflow commands: `::` lines (after leading whitespace)
 * outside stop-commands blocks, and lines with the legacy `##[` syntax anywhere.
 */
export function liveCommands(stdout: string): string[] {
  const live: string[] = [];
  let stopToken: string | undefined;
  // The runner splits lines on \r as well as \n.
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    if (stopToken !== undefined) {
      if (line.trim() === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const stop = /^\s*::stop-commands::(.+)$/.exec(line);
    if (stop) stopToken = stop[1];
    else if (line.trimStart().startsWith('::') || line.includes('##[')) live.push(line);
  }
  return live;
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

/** Decodes one `::command key=value,...::message` line the way the runner does. */
export function parseCommand(line: string): WorkflowCommand {
  const match = /^\s*::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!match) throw new Error(`not a workflow command: ${line}`);
  const decode = (value: string): string =>
    value
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%3A/g, ':')
      .replace(/%2C/g, ',')
      .replace(/%25/g, '%');
  const properties: Record<string, string> = {};
  for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
    const [key = '', ...value] = pair.split('=');
    properties[key] = decode(value.join('='));
  }
  return { command: match[1] ?? '', properties, message: decode(match[3] ?? '') };
}
