// THE place where student code meets the Docker engine: the script and compose steps run every
// process that drives Docker on the student's behalf through runStudentDocker(). A policy proxy
// (SECURITY.md, boundary 3) belongs here: point DOCKER_HOST at it in studentDockerEnvironment().
//
// The processes get a scrubbed environment (no INPUT_*, GITHUB_*, ACTIONS_*, RUNNER_*, tokens),
// a fresh HOME, a time limit enforced on their whole process group (so the `docker` processes a
// script starts die with it), and their output is read with a byte cap.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { InfraError } from '../errors';
import type { RunContext } from '../run/context';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** After SIGTERM at the time limit, how long the process group gets before SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** After the main process exits, how long its output pipes may stay open (a child that escaped the group). */
const CLOSE_GRACE_MS = 2_000;
/** A line longer than this is cut, so that output without newlines cannot grow a buffer. */
const MAX_LINE_BYTES = 16 * 1024;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

export interface StudentProcessOptions {
  cwd: string;
  timeoutMs: number;
  maxOutputBytes?: number;
  /** Each output line (stdout and stderr), until the byte cap. Untrusted text. */
  onLine?: (line: string) => void;
}

export interface StudentProcessResult {
  /** null when the process ended by a signal (e.g. killed at the time limit). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** stdout and stderr interleaved by line, up to the byte cap. */
  output: string;
  truncated: boolean;
}

/**
 * The environment of a process that drives Docker for the student: how to reach the engine, a
 * PATH, a locale and an empty HOME; nothing of the grader's own environment.
 */
export function studentDockerEnvironment(context: RunContext, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH || DEFAULT_PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ...context.engine.clientEnvironment(),
  };
}

/** Runs `command args` against the engine on the student's behalf (see the top of this file). */
export async function runStudentDocker(
  context: RunContext,
  command: string,
  args: string[],
  options: StudentProcessOptions,
): Promise<StudentProcessResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'docker-autograder-home-'));
  try {
    return await runProcess(command, args, studentDockerEnvironment(context, home), options);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Process groups still running; killed if the grader exits first (its own group would not reach them). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // `exit` handlers must be synchronous, and process.kill is.
    process.on('exit', killStudentProcesses);
  }
  liveGroups.add(pid);
}

/** Kills every student script or compose process still running (synchronous: used on exit). */
export function killStudentProcesses(): void {
  for (const group of liveGroups) signalGroup(group, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Spawns a process in its own process group; the group is killed at the time limit and at its exit. */
export function runProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: StudentProcessOptions,
): Promise<StudentProcessResult> {
  return new Promise((resolve, reject) => {
    const output = new OutputCollector(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, options.onLine);
    const child = spawn(command, args, {
      cwd: options.cwd,
      env,
      // Its own process group (a new session), so that the whole tree can be signalled at once.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const pid = child.pid;
    if (pid !== undefined) trackGroup(pid);
    const killGroup = (signal: NodeJS.Signals): void => {
      if (pid !== undefined) signalGroup(pid, signal);
    };
    const finish = (): void => {
      if (settled || exit === undefined) return;
      settled = true;
      if (pid !== undefined) liveGroups.delete(pid);
      for (const timer of timers) clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      output.end();
      resolve({
        exitCode: exit.code,
        signal: exit.signal,
        timedOut,
        output: output.text(),
        truncated: output.truncated,
      });
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS));
      }, options.timeoutMs),
    );
    child.stdout.on('data', (chunk: Buffer) => output.push('stdout', chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push('stderr', chunk));
    child.once('error', (error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // What the process left running in the background (`docker logs -f &`) goes with it.
      killGroup('SIGKILL');
      timers.push(setTimeout(finish, CLOSE_GRACE_MS));
    });
    child.once('close', finish);
  });
}

/** Interleaves stdout and stderr by line, keeps up to a byte cap, and passes lines on. */
class OutputCollector {
  private readonly parts: string[] = [];
  private kept = 0;
  truncated = false;
  private readonly streams = {
    stdout: { decoder: new StringDecoder('utf8'), partial: '' },
    stderr: { decoder: new StringDecoder('utf8'), partial: '' },
  };

  constructor(
    private readonly cap: number,
    private readonly onLine?: (line: string) => void,
  ) {}

  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.truncated) return;
    const state = this.streams[stream];
    const lines = (state.partial + state.decoder.write(chunk)).split('\n');
    state.partial = lines.pop() ?? '';
    if (state.partial.length > MAX_LINE_BYTES) {
      lines.push(state.partial);
      state.partial = '';
    }
    for (const line of lines) this.line(line);
  }

  end(): void {
    for (const state of Object.values(this.streams)) {
      const rest = state.partial + state.decoder.end();
      state.partial = '';
      if (rest !== '') this.line(rest);
    }
  }

  private line(raw: string): void {
    if (this.truncated) return;
    const line = raw.replace(/\r$/, '');
    const bytes = Buffer.byteLength(line) + 1;
    if (this.kept + bytes > this.cap) {
      this.truncated = true;
      this.onLine?.(`[output cut at ${this.cap} bytes]`);
      return;
    }
    this.kept += bytes;
    this.parts.push(line);
    this.onLine?.(line);
  }

  text(): string {
    return this.parts.length === 0 ? '' : `${this.parts.join('\n')}\n`;
  }
}

export interface ComposeCommand {
  /** The executable, and the arguments before the compose subcommand. */
  command: string;
  args: string[];
  /** 2 for `docker compose`, 1 for `docker-compose` v1 (a standalone v2 binary says 2). */
  version: 1 | 2;
  /** What `version` printed, for the log. */
  description: string;
}

const DETECT_TIMEOUT_MS = 20_000;
let detected: Promise<ComposeCommand> | undefined;

/** Compose v2 (`docker compose`) if the docker CLI has it, else `docker-compose`; once per process. */
export function composeCommand(context: RunContext): Promise<ComposeCommand> {
  detected ??= detectCompose(context).catch((error: unknown) => {
    detected = undefined;
    throw error;
  });
  return detected;
}

async function detectCompose(context: RunContext): Promise<ComposeCommand> {
  const candidates: Array<Omit<ComposeCommand, 'version' | 'description'>> = [
    { command: 'docker', args: ['compose'] },
    { command: 'docker-compose', args: [] },
  ];
  for (const candidate of candidates) {
    const result = await runStudentDocker(context, candidate.command, [...candidate.args, 'version'], {
      cwd: os.tmpdir(),
      timeoutMs: DETECT_TIMEOUT_MS,
      maxOutputBytes: 64 * 1024,
    }).catch(() => undefined);
    if (result?.exitCode !== 0) continue;
    const description = result.output.split('\n')[0]?.trim() ?? '';
    const major = /version v?(\d+)\./i.exec(description)?.[1];
    return { ...candidate, version: major === '1' ? 1 : 2, description };
  }
  throw new InfraError(
    'neither Compose v2 (`docker compose`) nor Compose v1 (`docker-compose`) is installed on this machine',
  );
}
