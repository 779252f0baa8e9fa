import { remainingMs } from '../run/context';
import { runningContainer } from '../run/resolve';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import { commandArgv, textValues } from '../spec/values';
import type { CheckDefinition } from './check';

const MAX_OUTPUT_BYTES = 1024 * 1024;

export const execCheck: CheckDefinition<'exec'> = {
  kind: 'exec',
  async observe(target, context) {
    const container = await runningContainer(target.container, context);
    if ('failure' in container) return container;
    const limitMs = remainingMs(context, timeoutMs(target.timeout, LIMITS.exec));
    const result = await context.engine.exec(container.id, {
      cmd: commandArgv(target.command),
      user: target.user,
      workdir: target.workdir,
      env: textValues(target.env),
      timeoutMs: limitMs,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
    if (result.timedOut) {
      return {
        failure: {
          message: `the command did not finish within ${formatDuration(limitMs)}`,
          actual: result.stdout,
        },
      };
    }
    return { facts: { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode } };
  },
};
