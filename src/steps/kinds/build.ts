// The `build` step: the student's Dockerfile built with the classic builder, held to the build
// profile.
import path from 'node:path';
import type { BuildRequest } from '../../engine/engine';
import { imageTag } from '../../naming/image-references';
import { RUN_LABEL, scopeLabels } from '../../naming/labels';
import { type Failure, type RunContext, remainingMs, shownOutput } from '../../run/context';
import { pathExists } from '../../shared/paths';
import { formatDuration, LIMITS, timeoutMs } from '../../spec/duration';
import { objectOf, ref, required, text, typed } from '../../spec/json-schema';
import { textValues } from '../../spec/values';
import { submissionPath } from '../paths';
import { defineStep } from '../step';
import { FirstErrorFinder, firstErrorLine, newInformation, tail } from '../text';

const LOG_TAIL_LINES = 40;

export const buildStep = defineStep('build', {
  schema: objectOf(
    "Builds an image from the student's Dockerfile. Checks and run steps refer to it by name.",
    {
      name: required(ref('name')),
      context: ref('relativePath', 'Build context, default the submission folder.'),
      dockerfile: ref('relativePath', 'Dockerfile path relative to the context, default Dockerfile.'),
      args: ref('stringMap', 'Build arguments (ARG values).'),
      target: text('Stage to build in a multi-stage Dockerfile.'),
      tag: typed<string | string[]>({
        description: 'Extra tags for the image, e.g. my_flask_app:0.0.1 (removed with it).',
        oneOf: [text(), { type: 'array', items: text(), minItems: 1 }],
      }),
      timeout: ref('duration', 'Default 5m, at most 30m.'),
    },
  ),
  validate(step, rules) {
    rules.uniqueName(['name'], step.name);
    rules.declare({ build: step.name });
    rules.relativePath(['context'], step.context);
    rules.relativePath(['dockerfile'], step.dockerfile);
    rules.timeout(['timeout'], step.timeout, LIMITS.build);
  },
  describe: (step) =>
    `build image "${step.name}" from ${path.posix.join(step.context ?? '.', step.dockerfile ?? 'Dockerfile')}`,
  async run(step, context) {
    // Resolved through symlinks: a context that is a link to elsewhere on the grader's disk (the
    // exercise's reference solution, say) must not be uploaded as the student's work.
    const resolved = await submissionPath(context.submissionDir, step.context ?? '.', 'build context');
    if ('failure' in resolved) return resolved.failure;
    const contextDir = resolved.path;
    const dockerfile = step.dockerfile ?? 'Dockerfile';
    if (!(await pathExists(path.join(contextDir, dockerfile)))) {
      return {
        message: `${path.posix.join(step.context ?? '.', dockerfile).replace(/^\.\//, '')} not found in the submission`,
      };
    }
    const extraTags = typeof step.tag === 'string' ? [step.tag] : (step.tag ?? []);
    const taken = await takenTag(extraTags, context);
    if (taken) return taken;
    const tag = imageTag(context.scope, step.name);
    const limitMs = remainingMs(context, timeoutMs(step.timeout, LIMITS.build));
    const started = context.now();
    // Fed every line: the log the engine keeps is only the build's tail.
    const firstError = new FirstErrorFinder();
    const show = shownOutput(context.progress);
    const request: BuildRequest = {
      contextDir,
      dockerfile,
      tag,
      buildArgs: textValues(step.args),
      target: step.target,
      // Unlabelled, found by its run-owned tag (naming/image-references.ts), unless the exercise names it
      // elsewhere too: an extra tag is outside that namespace, so cleanup finds it by label.
      labels: extraTags.length > 0 ? scopeLabels(context.scope) : undefined,
      timeoutMs: limitMs,
      onLine: (line) => {
        firstError.push(line);
        show(line);
      },
    };
    const result = await context.engine.build(request);
    if (!result.ok) {
      return {
        message: `the image "${step.name}" did not build: ${result.error}`,
        log: tail(result.log, LOG_TAIL_LINES),
        ...newInformation(firstError.line ?? firstErrorLine(result.log), result.error),
      };
    }
    context.progress.info(`  built ${tag} in ${formatDuration(context.now() - started)}`);
    context.resources.images.add(step.name, tag);
    // What a build-cache check needs to build the same image again.
    context.resources.builds.add(step.name, {
      contextDir,
      dockerfile,
      tag,
      buildArgs: textValues(step.args),
      target: step.target,
      timeoutMs: timeoutMs(step.timeout, LIMITS.build),
    });
    for (const extra of extraTags) {
      // The Engine has no tag call: building again with the extra tag is all cache hits, and
      // gives the same image.
      const again = await context.engine.build({
        ...request,
        tag: extra,
        timeoutMs: remainingMs(context, limitMs),
        onLine: undefined,
      });
      if (!again.ok) {
        return {
          message: `the image "${step.name}" could not be tagged ${extra}: ${again.error}`,
          log: tail(again.log, LOG_TAIL_LINES),
          ...newInformation(firstErrorLine(again.log), again.error),
        };
      }
      if (again.imageId !== result.imageId) {
        context.progress.info(
          `  note: ${extra} is a rebuild of "${step.name}" that did not come from the cache`,
        );
      }
      context.progress.info(`  tagged ${extra}`);
    }
    return undefined;
  },
});

/**
 * An extra tag must not move a name from an image the grader did not build (e.g. `busybox`):
 * cleanup removes our image with all its tags, and the other image would be left nameless.
 */
async function takenTag(tags: string[], context: RunContext): Promise<Failure | undefined> {
  for (const tag of tags) {
    const existing = await context.engine.inspectImage(tag);
    if (existing && existing.labels[RUN_LABEL] !== context.engine.runId) {
      return {
        message: `the image cannot be tagged ${tag}: an image the grader did not build already has that name`,
        expected: `${tag} free, or an image of this run`,
        actual: `${tag} is image ${existing.id.replace(/^sha256:/, '').slice(0, 12)}`,
      };
    }
  }
  return undefined;
}
