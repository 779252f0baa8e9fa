// The `script` step: the student's shell script of docker commands, run in a client container
// behind the engine gate.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Failure, remainingMs } from '../../run/context';
import { errorMessage, InfraError } from '../../shared/errors';
import { formatDuration, LIMITS, timeoutMs } from '../../spec/duration';
import { ALLOW_FAILURE, objectOf, ref, required, typed } from '../../spec/json-schema';
import { submissionPath } from '../paths';
import { defineStep } from '../step';
import { runStudentDocker, type StudentProcessResult } from '../student-docker';
import { FirstErrorFinder, newInformation, tail } from '../text';

const OUTPUT_TAIL_LINES = 40;

export const scriptStep = defineStep('script', {
  schema: objectOf("Runs the student's shell script of docker commands (bash, in the submission folder).", {
    file: required(ref('relativePath')),
    args: typed<string[]>({ type: 'array', items: { type: 'string' } }),
    timeout: ref('duration', 'Default 2m, at most 30m.'),
    allowFailure: ALLOW_FAILURE,
    remote: typed<boolean>({
      type: 'boolean',
      description:
        'Gives the script a second machine with a Docker daemon of its own, reachable over SSH as $REMOTE_USER@$REMOTE_HOST (ssh://student@remote); checks find what it made there with machine: remote.',
    }),
  }),
  validate(step, rules) {
    rules.relativePath(['file'], step.file);
    rules.timeout(['timeout'], step.timeout, LIMITS.script);
  },
  describe: (step) =>
    `run the script ${[step.file, ...(step.args ?? [])].join(' ')}${step.remote ? ' (with a remote machine)' : ''}`,
  async run(step, context) {
    const script = await submissionPath(context.submissionDir, step.file, 'script');
    if ('failure' in script) return script.failure;
    const limitMs = remainingMs(context, timeoutMs(step.timeout, LIMITS.script));
    let result: StudentProcessResult;
    // Every line, not just the tail the report keeps: the first error is often far above it.
    const firstError = new FirstErrorFinder();
    try {
      result = await runStudentDocker(context, 'bash', [script.path, ...(step.args ?? [])], {
        cwd: context.submissionDir,
        timeoutMs: limitMs,
        onLine: (line) => {
          firstError.push(line);
          context.progress.output(line);
        },
        // A script that traces itself shows its commands in its own output; ours would hide them.
        traceBashScript: !(await tracesItself(script.path)),
        remote: step.remote === true,
      });
    } catch (error) {
      if (error instanceof InfraError) throw error;
      throw new InfraError(`the script ${step.file} could not be run: ${errorMessage(error)}`);
    }
    const file = path.posix.normalize(step.file);
    for (const refusal of result.refusals) context.progress.info(`  refused by the grader: ${refusal}`);
    const log = tail(result.output, OUTPUT_TAIL_LINES);
    if (result.truncated) context.progress.info(`  the output of ${step.file} was cut at its size limit`);
    if (result.timedOut) {
      const failure = timeoutFailure(file, limitMs, result, log);
      return { ...failure, ...newInformation(firstError.line, failure.message) };
    }
    if (result.exitCode !== 0 && !step.allowFailure) {
      const message = `${file} exited with code ${result.exitCode}, expected exit code 0${refusalNote(result.refusals)}`;
      return {
        message,
        expected: 'exit code 0',
        actual: `exit code ${result.exitCode}`,
        log,
        ...newInformation(firstError.line, message),
      };
    }
    return undefined;
  },
});

/** " (refused by the grader: ...)" when the grader's engine gate refused requests; else "". */
export function refusalNote(refusals: readonly string[]): string {
  if (refusals.length === 0) return '';
  const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more)` : '';
  return `; refused by the grader: ${refusals[0]}${more}`;
}

function timeoutFailure(file: string, limitMs: number, result: StudentProcessResult, log: string): Failure {
  const [command, ...waiting] = result.stillRunning;
  let where = '';
  if (command !== undefined) {
    where = `; it was still in \`${command}\``;
    const why = whyItWaits(command);
    if (why !== undefined) where += `: ${why}`;
  }
  return {
    message: `${file} did not finish within ${formatDuration(limitMs)}; it was stopped${where}`,
    expected: `it finishes within ${formatDuration(limitMs)}`,
    actual: ['still running', ...waiting].join('; '),
    log,
  };
}

/** Why a docker command a script is stuck in waits, when its arguments tell. */
export function whyItWaits(command: string): string | undefined {
  const words = command.split(/\s+/);
  const run =
    words[0] === 'docker' && (words[1] === 'run' || (words[1] === 'container' && words[2] === 'run'));
  if (
    run &&
    !words.some((word) => word === '-d' || word === '--detach' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(word))
  ) {
    return 'without -d, docker run waits for the container to exit';
  }
  if (
    words[0] === 'docker' &&
    words.includes('logs') &&
    words.some((word) => word === '-f' || word === '--follow')
  ) {
    return 'docker logs -f follows the log until the container stops';
  }
  if (words[0] === 'docker' && words[1] === 'wait') return 'docker wait waits for the container to exit';
  return undefined;
}

/** The script turns on bash's xtrace itself (`set -x`, `set -o xtrace`, `#!/bin/bash -x`). */
async function tracesItself(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return /^\s*set\s+(-[a-zA-Z]*x|-o\s+xtrace)|^#!.*\s-[a-zA-Z]*x/m.test(text);
}
