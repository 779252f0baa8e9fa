// A container's output, running or stopped (a program that printed and exited is the usual
// case for "hello world" exercises).
import { resolveContainer } from '../../run/resolve';
import { expectSchema, matcher, objectOf, ref, required } from '../../spec/json-schema';
import { defineCheck } from '../check';

/** Per stream: what a student's program prints beyond this is not read. */
const MAX_LOG_BYTES = 1024 * 1024;

export const logsCheck = defineCheck('logs', {
  target: objectOf("Reads a container's output.", { container: required(ref('containerRef')) }),
  expect: expectSchema({
    stdout: matcher(),
    stderr: matcher(),
    output: matcher('stdout and stderr together.'),
  }),
  containerKey: 'container',
  readOnly: true,
  async observe(target, context) {
    const container = await resolveContainer(target.container, context);
    if (container === undefined)
      return { failure: { message: `there is no container "${target.container}"` } };
    const logs = await context.engine.logs(container.id, { maxBytes: MAX_LOG_BYTES });
    return {
      facts: { stdout: logs.stdout, stderr: logs.stderr, output: joinOutput(logs.stdout, logs.stderr) },
    };
  },
});

/**
 * Both streams as one text. The engine hands them over separately, so their lines are not
 * interleaved in time: stdout comes first, and each stream keeps its own line boundaries.
 */
export function joinOutput(stdout: string, stderr: string): string {
  if (stdout === '' || stderr === '') return stdout + stderr;
  return stdout.endsWith('\n') ? stdout + stderr : `${stdout}\n${stderr}`;
}
