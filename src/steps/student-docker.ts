// THE place where student code meets the Docker engine: the script and compose steps run every
// process that drives Docker on the student's behalf through runStudentDocker(), and that
// process never runs on the grader's machine. It runs in a client container (client-image.ts)
// on the engine, created by the grader with the run's labels and the hardened profile:
// - no network of its own (NetworkMode none): the only way out is the engine gate's socket,
//   bind-mounted in, which DOCKER_HOST names (a script step with `remote: true` shares the
//   network namespace of its remote machine, which has only a loopback: remote-machine.ts); the gate (engine-gate.ts, the policy proxy)
//   refuses what the exercise does not allow and labels what the student creates;
// - the submission folder mounted at the same absolute path, and the working directory in it,
//   so that `-v "$PWD/html":...` and `-v ./html:...` name the same folder on the engine;
// - a scrubbed environment (nothing of the grader's: no INPUT_*, GITHUB_*, ACTIONS_*, RUNNER_*,
//   tokens, no GITHUB_OUTPUT path: those files are not even in the container);
// - the step's time limit, after which it is killed; it is removed at the end, and with it
//   every process it started (`setsid sleep 600 &` included: they share its PID namespace);
// - a uid of its own, in the grader's group (client-user.ts): never root, never the grader.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CLIENT_LABEL, scopeLabels } from '../naming/labels';
import { remoteScope, resourceName } from '../naming/resource-names';
import { containerDiskBound } from '../proxy/budget';
import type { RunContext } from '../run/context';
import { errorMessage, InfraError } from '../shared/errors';
import { clientImage } from './client-image';
import { CLIENT_UMASK, clientUser, openSubmissionForClient } from './client-user';
import { type DiskWatch, watchDisk } from './disk-watch';
import { DEFAULT_SANDBOX_POLICY, type EngineGate, engineUpstream, openEngineGate } from './engine-gate';
import {
  CLIENT_KEY_VARIABLE,
  CLIENT_KNOWN_HOSTS_VARIABLE,
  CLIENT_SSH_CONFIG_VARIABLE,
  type RemoteMachine,
  removeRemoteMachineFolders,
  startRemoteMachine,
} from './remote-machine';

/** A line longer than this is cut, so that output without newlines cannot grow a buffer. */
const MAX_LINE_BYTES = 16 * 1024;
/** How long the engine may take to end the output stream of a client container that stopped. */
const FOLLOW_END_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Where the gate's socket appears in the client container. */
const GATE_DIR_IN_CLIENT = '/run/docker-autograder';
/** The last command a traced script started, written by the client's trace reader. */
const TRACE_FILE = '/tmp/.docker-autograder-trace';
const MAX_TRACE_BYTES = 16 * 1024;

/**
 * Runs in the client container before the student's command: one output stream (stderr into
 * stdout, so the lines stay in order); for a remote machine (remote-machine.ts), the student's
 * key and the machine's host key where ssh looks for them, as after a first login; and with
 * --trace, bash's xtrace on a descriptor of its own whose reader keeps only the latest line,
 * never mixed into the student's output.
 */
const CLIENT_WRAPPER = `exec 2>&1
if [ -n "\${${CLIENT_KEY_VARIABLE}:-}" ]; then
  (umask 077 && mkdir -p "$HOME/.ssh" \\
    && printf '%s\\n' "$${CLIENT_KEY_VARIABLE}" >"$HOME/.ssh/id_ed25519" \\
    && printf '%s\\n' "$${CLIENT_KNOWN_HOSTS_VARIABLE}" >>"$HOME/.ssh/known_hosts" \\
    && printf '%s' "$${CLIENT_SSH_CONFIG_VARIABLE}" >>"$HOME/.ssh/config")
fi
unset ${CLIENT_KEY_VARIABLE} ${CLIENT_KNOWN_HOSTS_VARIABLE} ${CLIENT_SSH_CONFIG_VARIABLE}
umask ${CLIENT_UMASK}
if [ "$1" = --trace ]; then
  shift
  exec 9> >(while IFS= read -r line; do printf '%s\\n' "$line" >${TRACE_FILE}; done)
  export BASH_XTRACEFD=9
  exec bash -x "$@"
fi
exec "$@"`;

export interface StudentProcessOptions {
  /** The working directory: the submission folder or a folder inside it. */
  cwd: string;
  timeoutMs: number;
  maxOutputBytes?: number;
  /** Each output line (stdout and stderr), until the byte cap. Untrusted text. */
  onLine?: (line: string) => void;
  /** A bash script to trace, so that a timeout can say which command it was in. */
  traceBashScript?: boolean;
  /** Give the command a remote machine to drive over SSH (remote-machine.ts), on its only network. */
  remote?: boolean;
}

export interface StudentProcessResult {
  /** null when it was still running at the time limit (and was killed). */
  exitCode: number | null;
  timedOut: boolean;
  /** stdout and stderr interleaved by line, up to the byte cap. */
  output: string;
  truncated: boolean;
  /** What the gate refused, in order: the reason a docker command failed. */
  refusals: string[];
  /** At the time limit: what was still going on (the script's command, engine requests waiting). */
  stillRunning: string[];
}

/** The client container's environment: how to reach the gate, a locale and a HOME; nothing of the grader's. */
export function studentDockerEnvironment(): Record<string, string> {
  return {
    HOME: '/tmp',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    DOCKER_HOST: `unix://${GATE_DIR_IN_CLIENT}/docker.sock`,
    // The classic builder's /build: BuildKit would boot a builder container from a registry
    // image, or speak gRPC over /session, which the gate does not let through.
    DOCKER_BUILDKIT: '0',
  };
}

/** Gates still open; closed at once if the grader is interrupted (see killStudentProcesses). */
const openGates = new Set<EngineGate>();

/**
 * Cuts every student's docker client off the engine (synchronous start; used on SIGINT/SIGTERM):
 * nothing new can be created while the label cleanup removes the client containers.
 */
export function killStudentProcesses(): void {
  for (const gate of openGates) void gate.close().catch(() => undefined);
  openGates.clear();
  removeRemoteMachineFolders();
}

/** Runs `command args` in a client container on the student's behalf (see the top of this file). */
export async function runStudentDocker(
  context: RunContext,
  command: string,
  args: string[],
  options: StudentProcessOptions,
): Promise<StudentProcessResult> {
  const submission = await realpath(context.submissionDir);
  const cwd = await realpath(options.cwd);
  if (cwd !== submission && !cwd.startsWith(`${submission}${path.sep}`)) {
    throw new Error(`the working directory ${cwd} is not inside the submission ${submission}`);
  }
  // By the id pinned at the run's start, whatever the tag says now (client-image.ts).
  const image = await clientImage(context.engine, (message) => context.progress.info(message));
  // mkdtemp makes the folder 0700, the grader's; 0710 lets the client (the grader's group, see
  // client-user.ts) reach the socket in it, and no other user of the machine.
  const gateDir = await mkdtemp(path.join(os.tmpdir(), 'docker-autograder-gate-'));
  let closeSubmission: (() => Promise<void>) | undefined;
  let gate: EngineGate | undefined;
  let remote: RemoteMachine | undefined;
  let id: string | undefined;
  let output: OutputCollector | undefined;
  let disk: DiskWatch | undefined;
  const stopFollowing = new AbortController();
  try {
    await chmod(gateDir, 0o710);
    closeSubmission = await openSubmissionForClient(submission);
    gate = await openEngineGate(context, {
      listenPath: path.join(gateDir, 'docker.sock'),
      submissionDir: submission,
      policy: context.policy ?? DEFAULT_SANDBOX_POLICY,
    });
    openGates.add(gate);
    if (options.remote) remote = await startRemoteMachine(context, (remoteGate) => openGates.add(remoteGate));
    const gates = remote === undefined ? [gate] : [gate, remote.gate];
    const argv = options.traceBashScript ? ['--trace', ...args] : [command, ...args];
    id = await context.engine
      .createContainer({
        name: resourceName(context.scope, `client-${randomBytes(4).toString('hex')}`),
        image,
        entrypoint: ['bash', '-c', CLIENT_WRAPPER, 'docker-autograder'],
        cmd: argv,
        env: { ...studentDockerEnvironment(), ...remote?.env },
        user: clientUser(),
        workdir: cwd,
        // Hidden from the student by the gate (proxy/visibility.ts): not theirs to see or stop.
        labels: { ...scopeLabels(context.scope), [CLIENT_LABEL]: 'true' },
        // No network; with a remote machine, the machine's loopback and nothing else.
        networkMode: remote === undefined ? 'none' : remote.networkMode,
        mounts: [
          { type: 'bind', source: submission, target: submission },
          { type: 'bind', source: gateDir, target: GATE_DIR_IN_CLIENT },
        ],
      })
      .catch((error: unknown) => {
        if (error instanceof InfraError) throw error;
        throw new InfraError(
          `the client container for the student's docker commands: ${errorMessage(error)}`,
        );
      });
    await context.engine.startContainer(id);
    // What the step's containers write to their own filesystems, bounded after the fact.
    disk = watchDisk({
      upstream: engineUpstream(context),
      runId: context.engine.runId,
      scopes: remote === undefined ? [context.scope] : [context.scope, remoteScope(context.scope)],
      maxBytes: containerDiskBound(process.env),
      clientId: id,
    });
    const startedAt = Date.now();
    const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    output = new OutputCollector(cap, options.onLine);
    const collector = output;
    // Each line reaches onLine as the command prints it: a script's 3-minute build shows its
    // progress while it runs, not all at once at its end.
    const following = context.engine.followLogs(id, {
      maxBytes: cap + MAX_LINE_BYTES,
      onStdout: (chunk) => collector.push(chunk),
      signal: stopFollowing.signal,
    });
    // Awaited below; when something else fails first, the step fails with that instead.
    following.catch(() => undefined);
    const exitCode = await context.engine.waitForExit(id, options.timeoutMs);
    const overDisk = await disk.stop();
    disk = undefined;
    const stillRunning: string[] = [];
    if (exitCode === null) {
      // Read before the kill: afterwards nothing is in flight any more.
      stillRunning.push(...gates.flatMap((each) => each.inFlight()));
      await context.engine.killContainer(id);
      if (options.traceBashScript) {
        const command = await lastTracedCommand(context, id);
        if (command !== undefined) stillRunning.unshift(command);
      }
    }
    // Killed by a signal the grader did not send: the daemon stopping (a restart) stops every
    // container with SIGTERM. The engine's fault, never the student's failure (exit 3).
    if ((exitCode === 137 || exitCode === 143) && !overDisk.endedStep)
      await checkNotStoppedByEngine(context, id, startedAt);
    // The student's command failed because the engine did (unreachable, reset mid-request):
    // the engine's fault, never the student's failure (exit 3).
    const engineErrors = gates.flatMap((each) => each.engineErrors);
    if (exitCode !== 0 && engineErrors.length > 0) {
      throw new InfraError(
        `the Docker engine failed while the student's docker commands ran: ${engineErrors.join('; ')}`,
      );
    }
    // The daemon ends the stream when the container stops; one that keeps it open must not hold the step.
    const deadline = setTimeout(() => stopFollowing.abort(), FOLLOW_END_MS);
    const followed = await following.finally(() => clearTimeout(deadline));
    if (!followed.ended) {
      throw new InfraError(
        `the Docker engine did not end the output of the student's docker commands ${FOLLOW_END_MS / 1000} s after they stopped`,
      );
    }
    collector.end();
    return {
      exitCode,
      timedOut: exitCode === null,
      output: collector.text(),
      truncated: collector.truncated || followed.truncated,
      // A container stopped for what it wrote is why the step failed: said first.
      refusals: [...overDisk.messages, ...gates.flatMap((each) => each.refusals)],
      stillRunning,
    };
  } finally {
    // Nothing reaches onLine once the step is over, whatever ended it.
    stopFollowing.abort();
    await disk?.stop();
    output?.close();
    // The gate closes and its folder goes even when the client container cannot be removed
    // (the engine failed): a gate left open would let the student's processes keep going.
    try {
      if (id !== undefined) await context.engine.removeContainer(id);
    } finally {
      try {
        try {
          if (remote !== undefined) {
            openGates.delete(remote.gate);
            await remote.close();
          }
        } finally {
          if (gate !== undefined) {
            openGates.delete(gate);
            await gate.close();
          }
        }
      } finally {
        try {
          await rm(gateDir, { recursive: true, force: true });
        } finally {
          await closeSubmission?.();
        }
      }
    }
  }
}

async function checkNotStoppedByEngine(context: RunContext, id: string, startedAt: number): Promise<void> {
  const signals = await context.engine.killSignalsSince?.(id, startedAt).catch((error: unknown) => {
    // A daemon that no longer answers right after killing the client: it is going away.
    if (error instanceof InfraError) return ['(the engine stopped answering)'];
    throw error;
  });
  if (signals !== undefined && signals.length > 0) {
    throw new InfraError(
      `the Docker engine stopped or restarted during the run: it stopped the client container of the student's docker commands (signal ${signals.join(', ')})`,
      'unreachable',
    );
  }
}

/** The command a traced script was in: bash's latest xtrace line, without its `+ ` depth marks. */
async function lastTracedCommand(context: RunContext, id: string): Promise<string | undefined> {
  const entry = await context.engine.readPath(id, TRACE_FILE, MAX_TRACE_BYTES).catch(() => undefined);
  const line = entry?.content
    ?.toString('utf8')
    .split('\n')
    .filter((text) => text.trim() !== '')
    .pop();
  const command = line?.replace(/^\++\s*/, '').trim();
  return command ? command : undefined;
}

/**
 * The notice the docker CLI prints for every classic build because the grader sets
 * DOCKER_BUILDKIT=0 (BuildKit cannot pass the gate: docs/engines.md). It is the grader's setting
 * talking, not the student's commands, so it is left out of what the student reads: these exact
 * lines only, whatever else the build prints.
 */
const GRADER_BUILDER_NOTICE = new Set([
  'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.',
  '            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0',
  '            environment-variable.',
]);

/**
 * Splits output into lines, keeps up to a byte cap, and passes lines on as they complete. The
 * result does not depend on how the output was cut into chunks: a line longer than
 * MAX_LINE_BYTES is passed on cut, and the rest of it, up to its newline, is dropped.
 */
class OutputCollector {
  private readonly parts: string[] = [];
  private kept = 0;
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** In the rest of a line that was passed on cut. */
  private skipping = false;
  private closed = false;
  truncated = false;

  constructor(
    private readonly cap: number,
    private readonly onLine?: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.truncated || this.closed) return;
    const lines = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (this.skipping) this.skipping = false;
      else this.line(line.slice(0, MAX_LINE_BYTES));
    }
    if (this.skipping) {
      this.partial = '';
    } else if (this.partial.length > MAX_LINE_BYTES) {
      this.line(this.partial.slice(0, MAX_LINE_BYTES));
      this.partial = '';
      this.skipping = true;
    }
  }

  /**
   * The last line, if it had no newline. What the decoder still holds (a character cut in half
   * at the end, or by the byte cap) is dropped rather than shown as garbage.
   */
  end(): void {
    if (this.closed) return;
    const rest = this.partial;
    this.close();
    if (rest !== '') this.line(rest);
  }

  /** Nothing more is taken or passed on. */
  close(): void {
    this.closed = true;
    this.partial = '';
  }

  private line(raw: string): void {
    if (this.truncated) return;
    const line = raw.replace(/\r$/, '');
    if (GRADER_BUILDER_NOTICE.has(line)) return;
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
}

/** The client image always has Compose v2 as a docker CLI plugin (client-image.ts). */
export const COMPOSE_COMMAND: ComposeCommand = { command: 'docker', args: ['compose'] };
