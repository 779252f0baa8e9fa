// The `exec` check: a command run in a running container, its stdout, stderr and exit code.
import type { ExecResult } from '../../engine/engine';
import { remainingMs } from '../../run/context';
import { runningContainer } from '../../run/resolve';
import { formatDuration, LIMITS, timeoutMs } from '../../spec/duration';
import { expectSchema, matcher, objectOf, ref, required, text } from '../../spec/json-schema';
import { commandArgv, textValues } from '../../spec/values';
import { defineCheck, type Observation, type TargetOf } from '../check';

/** Cap per stream of a command check's output (exec-batch.ts keeps the same). */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

export const execCheck = defineCheck('exec', {
  // What an exec step runs (steps/kinds/exec.ts takes this target), with its outcome as facts
  // instead.
  target: objectOf('Runs a command in a running container.', {
    container: required(ref('containerRef')),
    command: required(ref('command')),
    user: text(),
    workdir: text(),
    env: ref('stringMap'),
    timeout: ref('duration', 'Default 30s, at most 10m.'),
  }),
  expect: expectSchema({ stdout: matcher(), stderr: matcher(), exitCode: matcher() }),
  containerKey: 'container',
  // A command may change anything in the container; consecutive ones share an exec instead
  // (exec-batch.ts).
  readOnly: false,
  validate(target, rules) {
    rules.timeout(['timeout'], target.timeout, LIMITS.exec);
  },
  async observe(target, context) {
    const container = await runningContainer(target.container, context);
    if ('failure' in container) return container;
    const limitMs = execLimitMs(target, context);
    const result = await context.engine.exec(container.id, {
      cmd: commandArgv(target.command),
      user: target.user,
      workdir: target.workdir,
      env: textValues(target.env),
      timeoutMs: limitMs,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
    return execObservation(result, limitMs);
  },
});

/** A command check's target, as exec-batch.ts runs several in one exec. */
export type ExecTarget = TargetOf<typeof execCheck>;

/** The check's own limit, or less when the exercise's deadline comes first. */
export function execLimitMs(target: ExecTarget, context: Parameters<typeof remainingMs>[0]): number {
  return remainingMs(context, timeoutMs(target.timeout, LIMITS.exec));
}

/** What a command check observed, from one exec's result (its own or its part of a batch). */
export function execObservation(
  result: Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>,
  limitMs: number,
): Observation {
  if (result.timedOut) {
    return {
      failure: {
        message: `the command did not finish within ${formatDuration(limitMs)}`,
        actual: result.stdout,
      },
    };
  }
  return { facts: { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode } };
}
