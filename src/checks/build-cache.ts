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
// cache hit.
//
// Facts: cached and rebuilt, the instructions (in the dockerfile check's normalised form, in
// build order) that came from the cache and that ran again. FROM lines are neither, and are
// left out. Both facts point at the Dockerfile line of the first instruction that ran again.
import { chmod, cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LABEL_PREFIX, scopeLabels } from '../engine/labels';
import { remainingMs, shownOutput } from '../run/context';
import { imageTag } from '../steps/names';
import { tail } from '../steps/text';
import type { CheckDefinition, Observation } from './check';
import { instructionLines, normaliseInstruction } from './dockerfile';
import { fileLocation } from './student-file';

const LOG_TAIL_LINES = 40;

export const buildCacheCheck: CheckDefinition<'build-cache'> = {
  kind: 'build-cache',
  async observe(target, context) {
    const build = context.resources.build(target.build);
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
      await appendNewline(path.join(copy, relative));
      // Only the builder's own lines are kept: what a RUN prints can be gigabytes.
      const lines: string[] = [];
      const show = shownOutput(context.progress);
      const result = await context.engine.build({
        contextDir: copy,
        dockerfile: build.dockerfile,
        tag: imageTag(context.scope, `${target.build}-cache`),
        buildArgs: build.buildArgs,
        target: build.target,
        labels: scopeLabels(context.scope),
        timeoutMs: remainingMs(context, build.timeoutMs),
        onLine: (line) => {
          if (BUILDER_LINE.test(line) && lines.length < MAX_BUILDER_LINES) lines.push(line);
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
};

export interface BuildStepOutcome {
  /** Normalised like the dockerfile check's instructions. */
  instruction: string;
  cached: boolean;
}

const STEP_LINE = /^Step (\d+)\/(\d+) : (.*)$/;
/** The classic builder's lines that parseBuildSteps reads; everything else is program output. */
const BUILDER_LINE = /^(Step \d+\/\d+ : | ---> |Removing intermediate container )/;
const MAX_BUILDER_LINES = 10_000;
const RUNNING_IN = /^ ---> Running in ([0-9a-f]+)$/;

/**
 * The classic builder's steps and whether each was a cache hit: the line right after
 * "Step N/M : …" is " ---> Using cache" for a hit. What a RUN prints (between " ---> Running
 * in <id>" and "Removing intermediate container <id>") is skipped, and steps must be numbered
 * 1, 2, … with one total, so that program output is not taken for the builder's lines by
 * accident. (A RUN that sets out to forge them could; that would be plain in its Dockerfile.)
 */
export function parseBuildSteps(lines: string[]): BuildStepOutcome[] {
  const steps: BuildStepOutcome[] = [];
  let total: string | undefined;
  let awaitingFirstLine = false;
  let runningIn: string | undefined;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (runningIn !== undefined) {
      if (line.trim() === `Removing intermediate container ${runningIn}`) runningIn = undefined;
      continue;
    }
    const step = STEP_LINE.exec(line);
    if (step !== null && Number(step[1]) === steps.length + 1 && (total === undefined || step[2] === total)) {
      total = step[2];
      steps.push({ instruction: normaliseInstruction(step[3] ?? ''), cached: false });
      awaitingFirstLine = true;
      continue;
    }
    if (awaitingFirstLine && line.trim() !== '') {
      awaitingFirstLine = false;
      const current = steps.at(-1);
      if (current !== undefined && line.trim() === '---> Using cache') current.cached = true;
    }
    runningIn = RUNNING_IN.exec(line)?.[1];
  }
  // The builder applies the engine's labels with LABEL steps of its own, one per label, at the
  // end: they are not the student's.
  while (steps.length > 0 && isGraderLabelStep(steps.at(-1)?.instruction ?? '')) steps.pop();
  return steps;
}

function isGraderLabelStep(instruction: string): boolean {
  if (!instruction.startsWith('LABEL ')) return false;
  const keys = instruction
    .slice('LABEL '.length)
    .split(' ')
    .map((pair) => (pair.split('=')[0] ?? '').replace(/^["']|["']$/g, ''));
  return keys.length > 0 && keys.every((key) => key.startsWith(`${LABEL_PREFIX}.`));
}

function cacheFacts(steps: BuildStepOutcome[], dockerfileText: string, dockerfilePath: string): Observation {
  const counted = steps.filter(
    (step) => !step.instruction.startsWith('FROM ') && step.instruction !== 'FROM',
  );
  const cached = counted.filter((step) => step.cached).map((step) => step.instruction);
  const rebuilt = counted.filter((step) => !step.cached).map((step) => step.instruction);
  const firstRebuilt = rebuilt[0];
  const source = instructionLines(dockerfileText).find((line) => line.text === firstRebuilt);
  const location =
    source === undefined
      ? fileLocation(dockerfilePath)
      : fileLocation(dockerfilePath, source.line + 1, source.column + 1);
  return { facts: { cached, rebuilt }, locations: { cached: location, rebuilt: location } };
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
