// The `exec` step: a command run in a container as setup, its target shaped like the exec check's.
import { type ExecTarget, execCheck } from '../../checks/kinds/exec';
import { remainingMs } from '../../run/context';
import { runningContainer } from '../../run/resolve';
import { formatDuration, LIMITS, timeoutMs } from '../../spec/duration';
import { ALLOW_FAILURE, type JsonSchema, type SchemaOf } from '../../spec/json-schema';
import { commandArgv, textValues } from '../../spec/values';
import { defineStep } from '../step';
import { formatCommand, tail } from '../text';

const MAX_OUTPUT_BYTES = 1024 * 1024;
const OUTPUT_TAIL_LINES = 30;

/** A command check's target, and whether a failing command fails the step. */
export type ExecStep = ExecTarget & { allowFailure?: boolean };

/** The exec check's target's schema, with allowFailure. */
const EXEC_BODY: SchemaOf<ExecStep> = {
  ...execCheck.schema.target,
  properties: {
    ...(execCheck.schema.target.properties as JsonSchema),
    allowFailure: ALLOW_FAILURE,
  },
};

export const execStep = defineStep('exec', {
  schema: EXEC_BODY,
  containerKey: 'container',
  validate(step, rules) {
    rules.timeout(['timeout'], step.timeout, LIMITS.exec);
  },
  describe: (step) => `run ${formatCommand(step.command)} in container "${step.container}"`,
  async run(step, context) {
    const container = await runningContainer(step.container, context);
    if ('failure' in container) return container.failure;
    const limitMs = remainingMs(context, timeoutMs(step.timeout, LIMITS.exec));
    const result = await context.engine.exec(container.id, {
      cmd: commandArgv(step.command),
      user: step.user,
      workdir: step.workdir,
      env: textValues(step.env),
      timeoutMs: limitMs,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
    const output = tail([result.stdout, result.stderr].filter(Boolean).join('\n'), OUTPUT_TAIL_LINES);
    const what = `\`${formatCommand(step.command)}\` in container "${step.container}"`;
    if (result.timedOut) {
      return {
        message: `${what} did not finish within ${formatDuration(limitMs)}`,
        expected: `it finishes within ${formatDuration(limitMs)}`,
        actual: 'still running',
        log: output,
      };
    }
    if (result.exitCode !== 0 && !step.allowFailure) {
      return {
        message: `${what} exited with code ${result.exitCode}, expected 0`,
        expected: 'exit code 0',
        actual: `exit code ${result.exitCode}`,
        log: output,
      };
    }
    return undefined;
  },
});
