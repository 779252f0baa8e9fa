import { stat } from 'node:fs/promises';
import path from 'node:path';
import { scopeLabels } from '../engine/labels';
import { remainingMs } from '../run/context';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import type { BuildStep } from '../spec/types';
import { imageTag } from './names';
import type { StepDefinition } from './step';

const LOG_TAIL_LINES = 40;

export const buildStep: StepDefinition<'build'> = {
  kind: 'build',
  describe: (step) =>
    `build image "${step.name}" from ${path.posix.join(step.context ?? '.', step.dockerfile ?? 'Dockerfile')}`,
  async run(step: BuildStep, context) {
    const contextDir = path.resolve(context.submissionDir, step.context ?? '.');
    const dockerfile = step.dockerfile ?? 'Dockerfile';
    const missing = await missingPath(path.join(contextDir, dockerfile));
    if (missing) {
      return {
        message: `${path.relative(context.submissionDir, path.join(contextDir, dockerfile)) || dockerfile} not found in the submission`,
      };
    }
    const tag = imageTag(context.scope, step.name);
    const limitMs = remainingMs(context, timeoutMs(step.timeout, LIMITS.build));
    const started = context.now();
    const result = await context.engine.build({
      contextDir,
      dockerfile,
      tag,
      buildArgs: stringify(step.args),
      target: step.target,
      labels: scopeLabels(context.scope),
      timeoutMs: limitMs,
      onLine: (line) => context.progress.output(line),
    });
    if (!result.ok) {
      return {
        message: `the image "${step.name}" did not build: ${result.error}`,
        log: tail(result.log, LOG_TAIL_LINES),
      };
    }
    context.progress.info(`  built ${tag} in ${formatDuration(context.now() - started)}`);
    context.resources.addImage(step.name, tag);
    return undefined;
  },
};

async function missingPath(file: string): Promise<boolean> {
  try {
    await stat(file);
    return false;
  } catch {
    return true;
  }
}

function stringify(
  values: Record<string, string | number | boolean> | undefined,
): Record<string, string> | undefined {
  return values && Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
}

export function tail(text: string, lines: number): string {
  const all = text.replace(/\n+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}
