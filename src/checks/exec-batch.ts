// Consecutive command checks on one container, run by one `sh` in one exec instead of an exec
// each (about 60 ms of engine round trips per check). The results are those separate execs
// would give: each command keeps its argv, stdin (empty), stdout, stderr, exit code, byte cap and
// time limit. Whatever the batch cannot run exactly (no shell or utility, a program the shell
// cannot find as runc would, a command over its limit) stops the batch, and the rest run in
// execs of their own, in order; no command ever runs twice. decisions.md has the reasoning.
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { type RunContext, remainingMs } from '../run/context';
import { runningContainer } from '../run/resolve';
import { LIMITS, timeoutMs } from '../spec/duration';
import type { CheckSpec } from '../spec/types';
import { commandArgv } from '../spec/values';
import type { Observation } from './check';
import { type BatchEvent, BatchFrameParser, batchScript } from './exec-frames';
import { type ExecTarget, execLimitMs, execObservation, MAX_OUTPUT_BYTES } from './kinds/exec';

/** Below this limit a command runs alone: the script's stop margin is whole seconds. */
const MIN_BATCH_LIMIT_MS = 3_000;

/**
 * Programs that look at processes: in a batch they would see the batch's own shell and helpers
 * (and `$PPID` would be that shell), so such commands run alone.
 */
const PROCESS_WORDS = new Set([
  'ps',
  'pgrep',
  'pidof',
  'pkill',
  'kill',
  'killall',
  'top',
  'pstree',
  'PPID',
  'htop',
]);

/**
 * Whether a command check can share an exec: no `steps`, not `required` (a gate decides whether
 * the next checks run at all), no user, workdir or env of its own (one exec has one of each), a
 * limit of at least 3 s, and a command that neither looks at processes nor starts with "-".
 */
export function isBatchable(check: CheckSpec): boolean {
  const target = check.exec;
  if (target === undefined || check.steps !== undefined || check.required === true) return false;
  if (target.user !== undefined || target.workdir !== undefined || target.env !== undefined) return false;
  if (timeoutMs(target.timeout, LIMITS.exec) < MIN_BATCH_LIMIT_MS) return false;
  const argv = commandArgv(target.command);
  const program = argv[0];
  if (program === undefined || program === '' || program.startsWith('-')) return false;
  return !argv.some((arg) => arg.includes('\0') || looksAtProcesses(arg));
}

function looksAtProcesses(arg: string): boolean {
  for (const token of arg.split(/[^A-Za-z0-9_./-]+/)) {
    if (token.includes('/proc')) return true;
    if (PROCESS_WORDS.has(token.split('/').pop() ?? '')) return true;
  }
  return false;
}

/**
 * Observes batchable command checks on one container (`targets`, in spec order). An entry is
 * undefined where that check must be observed on its own (after the batch, in order).
 */
export async function observeExecBatch(
  targets: ExecTarget[],
  context: RunContext,
): Promise<Array<Observation | undefined>> {
  const results: Array<Observation | undefined> = targets.map(() => undefined);
  const first = targets[0];
  if (first === undefined || targets.length < 2) return results;
  // A missing or stopped container: each check on its own says so, exactly as it would alone.
  const container = await runningContainer(first.container, context);
  if ('failure' in container) return results;

  const nonce = randomBytes(16).toString('hex');
  const { cmd } = batchScript(
    nonce,
    targets.map((target) => ({
      argv: commandArgv(target.command),
      limitSeconds: Math.floor(timeoutMs(target.timeout, LIMITS.exec) / 1000),
    })),
    MAX_OUTPUT_BYTES,
    Math.floor(remainingMs(context, LIMITS.exercise.maxMs) / 1000),
  );
  const parser = new BatchFrameParser(nonce, targets.length, MAX_OUTPUT_BYTES);
  const abort = new AbortController();
  let tempDir: string | undefined;
  let current = -1;
  let timer: NodeJS.Timeout | undefined;
  const limits: number[] = [];
  let settle: (outcome: 'finished' | 'timed-out') => void = () => {};
  const settled = new Promise<'finished' | 'timed-out'>((resolve) => {
    settle = resolve;
  });

  /** Command `index` is running now: it gets its own limit from this moment, as it would alone. */
  const startCommand = (index: number): void => {
    current = index;
    const target = targets[index];
    if (target === undefined) return;
    const limitMs = execLimitMs(target, context);
    timer = setTimeout(() => settle('timed-out'), limitMs);
    limits[index] = limitMs;
  };
  const onEvent = (event: BatchEvent): void => {
    clearTimeout(timer);
    switch (event.kind) {
      case 'ready':
        tempDir = event.tempDir;
        startCommand(0);
        return;
      case 'done': {
        const decode = (bytes: Buffer): string => new StringDecoder('utf8').write(bytes);
        results[event.index] = execObservation(
          {
            exitCode: event.exitCode,
            stdout: decode(event.stdout),
            stderr: decode(event.stderr),
            timedOut: false,
          },
          limits[event.index] ?? 0,
        );
        startCommand(event.index + 1);
        return;
      }
      default:
        // end, stop, skip, unsupported, corrupt: nothing more comes from this batch.
        current = -1;
        settle('finished');
    }
  };

  const exec = context.engine
    .exec(container.id, {
      cmd,
      timeoutMs: Math.max(1, context.deadline - context.now()),
      maxOutputBytes: 0,
      onStdout: (chunk) => {
        for (const event of parser.push(chunk)) onEvent(event);
      },
      signal: abort.signal,
    })
    // The exec ended (or failed) without the script saying so: the rest runs alone.
    .then(
      () => settle('finished'),
      () => settle('finished'),
    );
  const outcome = await settled;
  clearTimeout(timer);
  if (outcome === 'timed-out' && current >= 0) {
    // Over its limit: what it printed so far is in the batch's folder. The script starts no
    // other command after this one (its stop margin), so the rest can run alone safely.
    const index = current;
    const stdout = await partialOutput(context, container.id, tempDir);
    results[index] = execObservation(
      { exitCode: null, stdout, stderr: '', timedOut: true },
      limits[index] ?? 0,
    );
    abort.abort();
  }
  await exec;
  return results;
}

async function partialOutput(
  context: RunContext,
  containerId: string,
  tempDir: string | undefined,
): Promise<string> {
  if (tempDir === undefined) return '';
  try {
    const entry = await context.engine.readPath(containerId, `${tempDir}/o`, MAX_OUTPUT_BYTES);
    return entry?.content === undefined ? '' : new StringDecoder('utf8').write(entry.content);
  } catch {
    return '';
  }
}
