import path from 'node:path';
import { errorMessage, InfraError } from '../errors';
import { remainingMs } from '../run/context';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import { submissionPath } from './paths';
import type { StepDefinition } from './step';
import { runStudentDocker, type StudentProcessResult } from './student-docker';
import { tail } from './text';

const OUTPUT_TAIL_LINES = 40;

export const scriptStep: StepDefinition<'script'> = {
  kind: 'script',
  describe: (step) => `run the script ${[step.file, ...(step.args ?? [])].join(' ')}`,
  async run(step, context) {
    const script = await submissionPath(context.submissionDir, step.file, 'script');
    if ('failure' in script) return script.failure;
    const limitMs = remainingMs(context, timeoutMs(step.timeout, LIMITS.script));
    let result: StudentProcessResult;
    try {
      result = await runStudentDocker(context, 'bash', [script.path, ...(step.args ?? [])], {
        cwd: context.submissionDir,
        timeoutMs: limitMs,
        onLine: (line) => context.progress.output(line),
      });
    } catch (error) {
      throw new InfraError(`bash could not be started to run ${step.file}: ${errorMessage(error)}`);
    }
    const log = tail(result.output, OUTPUT_TAIL_LINES);
    if (result.truncated) context.progress.info(`  the output of ${step.file} was cut at its size limit`);
    if (result.timedOut) {
      return {
        message: `${step.file} did not finish within ${formatDuration(limitMs)}; it was stopped`,
        expected: `it finishes within ${formatDuration(limitMs)}`,
        actual: 'still running',
        log,
      };
    }
    if (result.exitCode !== 0 && !step.allowFailure) {
      const how =
        result.exitCode === null ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      return {
        message: `${path.posix.normalize(step.file)} ${how}, expected exit code 0`,
        expected: 'exit code 0',
        actual: result.exitCode === null ? `killed by ${result.signal}` : `exit code ${result.exitCode}`,
        log,
      };
    }
    return undefined;
  },
};
