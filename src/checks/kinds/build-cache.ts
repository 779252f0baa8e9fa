// The `build-cache` check: after a change to one file, which instructions does the build
// answer from its cache? A Dockerfile that copies requirements.txt and installs before it
// copies the rest keeps the install cached when only app.py changes.
//
// The build step's context is copied to a temporary folder (the student's files are never
// touched), a newline is appended to the file to change (a content change, which always
// invalidates the classic builder's cache for any COPY/ADD that includes the file, in any
// language), and the image is built again with the same Dockerfile, build args and target
// (under its own tag, so that later checks still see the student's image as built). The
// classic builder's log says, after each "Step N/M : INSTRUCTION", " ---> Using cache" for a
// cache hit. In a multi-stage build, the named stages before the target are first built again
// unchanged, under tags of their own: the engine discards other stages' layers after a build.
//
// The log is read by build-steps.ts (which also reads BuildKit's "#N CACHED"), and each step is
// mapped to the Dockerfile instruction it ran.
//
// Facts: cached and rebuilt, the instructions (in the dockerfile check's normalised form, in
// build order) that came from the cache and that ran again; fromCache and ranAgain judge the
// same steps by meaning, with step matchers (src/dockerfile/judges.ts). FROM lines are neither, and
// are left out. All facts point at the Dockerfile line of the first instruction that ran again.
import { chmod, cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BUILDER_LINE,
  type BuildStepOutcome,
  mapSteps,
  parseBuildSteps,
  plainLine,
} from '../../dockerfile/build-steps';
import { CacheFact } from '../../dockerfile/judges';
import { dockerfileMeaning } from '../../dockerfile/meaning';
import { imageTag } from '../../naming/image-references';
import { remainingMs, shownOutput } from '../../run/context';
import { expectSchema, matcher, objectOf, ref, required } from '../../spec/json-schema';
import { tail } from '../../steps/text';
import { defineCheck, type Observation } from '../check';
import { fileLocation } from '../student-file';

const LOG_TAIL_LINES = 40;
const MAX_BUILDER_LINES = 10_000;

export const buildCacheCheck = defineCheck('build-cache', {
  target: objectOf(
    'Rebuilds after a change to one file and reports which instructions came from the cache.',
    {
      build: required(ref('name', "A build step's name.")),
      change: required(ref('relativePath', 'A file in the build context to change before rebuilding.')),
    },
  ),
  expect: expectSchema({
    cached: matcher('Instruction lines answered from the cache.'),
    rebuilt: matcher('Instruction lines run again.'),
    fromCache: ref(
      'stepMatchers',
      'Each step matcher matches at least one build step, and every step it matches came from the cache.',
    ),
    ranAgain: ref(
      'stepMatchers',
      'Each step matcher matches at least one build step, and every step it matches ran again.',
    ),
  }),
  // It rebuilds, and leaves the image and the build cache changed.
  readOnly: false,
  validate(target, rules) {
    rules.build(['build'], target.build);
    rules.relativePath(['change'], target.change);
  },
  async observe(target, context) {
    const build = context.resources.builds.get(target.build);
    if (build === undefined) {
      return {
        failure: {
          message: `the image "${target.build}" was not built, so its build cache cannot be tested`,
        },
      };
    }
    const relative = path.relative(build.contextDir, path.resolve(build.contextDir, target.change));
    if (
      relative === '' ||
      relative.startsWith('..') ||
      path.isAbsolute(relative) ||
      !(await isFile(build.contextDir, relative))
    ) {
      return {
        failure: { message: `${target.change} is not a file in the build context of "${target.build}"` },
      };
    }
    const copy = await mkdtemp(path.join(tmpdir(), 'docker-autograder-cache-'));
    try {
      // verbatimSymlinks: links are copied as links, so the engine's context checks see them as the first build did.
      await cp(build.contextDir, copy, { recursive: true, verbatimSymlinks: true });
      await chmod(copy, (await stat(build.contextDir)).mode & 0o7777);
      const show = shownOutput(context.progress);
      const original = await readFile(path.join(copy, build.dockerfile), 'utf8');
      // The engine removes the layers of stages other than the built one after each build, so
      // the stages before it are built again first, each under a tag that keeps its layers:
      // otherwise none of their steps could ever come from the cache.
      for (const stage of stagesBefore(original, build.target)) {
        const kept = await context.engine.build({
          contextDir: copy,
          dockerfile: build.dockerfile,
          tag: imageTag(context.scope, `${target.build}-cache-${stage}`),
          buildArgs: build.buildArgs,
          target: stage,
          timeoutMs: remainingMs(context, build.timeoutMs),
          onLine: show,
        });
        if (!kept.ok) {
          return {
            failure: {
              message: `the stage "${stage}" of "${target.build}" did not build again: ${kept.error}`,
              actual: tail(kept.log, LOG_TAIL_LINES),
            },
          };
        }
      }
      await appendNewline(path.join(copy, relative));
      // Only the builder's own lines are kept: what a RUN prints can be gigabytes.
      const lines: string[] = [];
      const result = await context.engine.build({
        contextDir: copy,
        dockerfile: build.dockerfile,
        tag: imageTag(context.scope, `${target.build}-cache`),
        buildArgs: build.buildArgs,
        target: build.target,
        timeoutMs: remainingMs(context, build.timeoutMs),
        onLine: (line) => {
          if (BUILDER_LINE.test(plainLine(line)) && lines.length < MAX_BUILDER_LINES) lines.push(line);
          show(line);
        },
      });
      if (!result.ok) {
        return {
          failure: {
            message: `the image "${target.build}" did not build again after a change to ${target.change}: ${result.error}`,
            actual: tail(result.log, LOG_TAIL_LINES),
          },
        };
      }
      const steps = parseBuildSteps(lines.length > 0 ? lines : result.log.split('\n'));
      const dockerfileText = await readFile(path.join(copy, build.dockerfile), 'utf8');
      return cacheFacts(steps, dockerfileText, path.join(build.contextDir, build.dockerfile));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  },
});

function cacheFacts(steps: BuildStepOutcome[], dockerfileText: string, dockerfilePath: string): Observation {
  const meaning = dockerfileMeaning(dockerfileText);
  const mapped = mapSteps(steps, meaning.stages, meaning.instructions);
  const counted = mapped.filter(
    (step) => (step.source?.keyword ?? step.instruction.split(' ')[0]) !== 'FROM',
  );
  const cached = counted.filter((step) => step.cached).map((step) => step.instruction);
  const rebuilt = counted.filter((step) => !step.cached);
  const source = rebuilt[0]?.source;
  const location =
    source === undefined
      ? fileLocation(dockerfilePath)
      : fileLocation(dockerfilePath, source.line, source.column);
  return {
    facts: {
      cached,
      rebuilt: rebuilt.map((step) => step.instruction),
      fromCache: new CacheFact(counted, meaning.stages, true),
      ranAgain: new CacheFact(counted, meaning.stages, false),
    },
    locations: { cached: location, rebuilt: location, fromCache: location, ranAgain: location },
  };
}

/**
 * The named stages built before the target (the last stage without one): only a named stage
 * can be a build's target. An unnamed earlier stage gets no cache hits.
 */
function stagesBefore(dockerfileText: string, target: string | undefined): string[] {
  const { stages } = dockerfileMeaning(dockerfileText);
  const end =
    target === undefined
      ? stages.length - 1
      : stages.findIndex((stage) => stage.name === target.toLowerCase());
  return stages.slice(0, Math.max(end, 0)).flatMap((stage) => (stage.name === undefined ? [] : [stage.name]));
}

async function isFile(dir: string, relative: string): Promise<boolean> {
  try {
    return (await stat(path.join(dir, relative))).isFile();
  } catch {
    return false;
  }
}

/**
 * Writes a fresh file instead of appending in place, so that nothing (a symlink copied as a
 * link) can lead the write to the student's own file.
 */
async function appendNewline(file: string): Promise<void> {
  const { mode } = await stat(file);
  const content = await readFile(file);
  await rm(file);
  await writeFile(file, Buffer.concat([content, Buffer.from('\n')]));
  // The mode as it was (writeFile's is shaped by the umask): only the content is the change.
  await chmod(file, mode & 0o7777);
}
