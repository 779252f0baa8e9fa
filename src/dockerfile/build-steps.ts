// Which build steps the builder answered from its cache, read from its log, and which
// Dockerfile instruction each step was. Pure: the build-cache check feeds it the log the
// engine returned.
//
// - The classic builder prints "Step N/M : INSTRUCTION", then " ---> Using cache" on a hit.
//   Steps are every instruction from the first FROM on, in file order, so step N is the N-th
//   instruction (checked against its text).
// - BuildKit's plain progress prints "#7 [stage 3/5] INSTRUCTION" and "#7 CACHED" on a hit; the
//   bracket names the stage (its name, "stage-K", or nothing when there is one stage) and the
//   instruction's place in it, FROM being 1.
import { isGraderLabel } from '../naming/labels';
import { type InstructionMeaning, normaliseInstruction, type Stage } from './meaning';

export interface BuildStepOutcome {
  /** Normalised like the dockerfile check's instructions. */
  instruction: string;
  cached: boolean;
  /** BuildKit only: the stage's label in the log and the instruction's 1-based place in it. */
  stage?: string;
  index?: number;
}

const STEP_LINE = /^Step (\d+)\/(\d+) : (.*)$/;
/** The classic builder's lines that parseBuildSteps reads; everything else is program output. */
export const BUILDER_LINE = /^(Step \d+\/\d+ : | ---> |Removing intermediate container |#\d+ )/;
const RUNNING_IN = /^ ---> Running in ([0-9a-f]+)$/;
/**
 * The end of a step's container: "Removing intermediate container <id>" up to Engine 24,
 * " ---> Removed intermediate container <id>" from Engine 25 on (moby#46270).
 */
const CONTAINER_REMOVED = /^(?:Removing|---> Removed) intermediate container ([0-9a-f]+)$/;
const BUILDKIT_HEADER = /^#(\d+) \[([^\]]+)\] (.*)$/;
const BUILDKIT_CACHED = /^#(\d+) CACHED$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colour codes are what it removes
const COLOUR_CODE = /\u001b\[[0-9;]*m/g;

/**
 * A log line without terminal colour codes: the builder wraps what a RUN writes to stderr in
 * them, so the line after it reads "\u001b[0mRemoving intermediate container …".
 */
export function plainLine(line: string): string {
  return line.replace(COLOUR_CODE, '').trimEnd();
}

/** The steps of a build log, classic or BuildKit, without the grader's own LABEL steps. */
export function parseBuildSteps(lines: string[]): BuildStepOutcome[] {
  const plain = lines.map(plainLine);
  const steps = plain.some((line) => BUILDKIT_HEADER.test(line)) ? parseBuildKit(plain) : parseClassic(plain);
  // The builder applies the engine's labels with LABEL steps of its own, one per label, at the
  // end: they are not the student's.
  while (steps.length > 0 && isGraderLabelStep(steps.at(-1)?.instruction ?? '')) steps.pop();
  return steps;
}

/**
 * The line right after "Step N/M : …" is " ---> Using cache" for a hit. What a RUN prints
 * (between " ---> Running in <id>" and the removal of that container, in either engine's
 * wording: CONTAINER_REMOVED) is skipped, and
 * steps must be numbered 1, 2, … with one total, so that program output is not taken for the
 * builder's lines by accident. (A RUN that sets out to forge them could; that would be plain
 * in its Dockerfile.)
 */
function parseClassic(lines: string[]): BuildStepOutcome[] {
  const steps: BuildStepOutcome[] = [];
  let total: string | undefined;
  let awaitingFirstLine = false;
  let runningIn: string | undefined;
  for (const line of lines) {
    if (runningIn !== undefined) {
      if (CONTAINER_REMOVED.exec(line.trim())?.[1] === runningIn) runningIn = undefined;
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
  return steps;
}

/** One step per vertex with a "[stage i/n]" header; "#N CACHED" marks a hit. */
function parseBuildKit(lines: string[]): BuildStepOutcome[] {
  const byVertex = new Map<string, BuildStepOutcome>();
  const cachedVertices = new Set<string>();
  for (const line of lines) {
    const cached = BUILDKIT_CACHED.exec(line);
    if (cached !== null) {
      cachedVertices.add(cached[1] ?? '');
      continue;
    }
    const header = BUILDKIT_HEADER.exec(line);
    if (header === null) continue;
    const [, vertex = '', bracket = '', text = ''] = header;
    const place = /^(?:(\S+) )?(\d+)\/(\d+)$/.exec(bracket);
    if (place === null || byVertex.has(vertex)) continue; // "[internal] load …", or the header again
    byVertex.set(vertex, {
      instruction: normaliseInstruction(text),
      cached: false,
      ...(place[1] === undefined ? {} : { stage: place[1] }),
      index: Number(place[2]),
    });
  }
  for (const [vertex, step] of byVertex) step.cached = cachedVertices.has(vertex);
  return [...byVertex.values()];
}

function isGraderLabelStep(instruction: string): boolean {
  if (!instruction.startsWith('LABEL ')) return false;
  const keys = instruction
    .slice('LABEL '.length)
    .split(' ')
    .map((pair) => (pair.split('=')[0] ?? '').replace(/^["']|["']$/g, ''));
  return keys.length > 0 && keys.every((key) => isGraderLabel(key));
}

export interface MappedStep extends BuildStepOutcome {
  /** The Dockerfile instruction this step ran; undefined when the log cannot be matched to one. */
  source?: InstructionMeaning;
}

/** Each step with the instruction it ran. */
export function mapSteps(
  steps: BuildStepOutcome[],
  stages: Stage[],
  instructions: InstructionMeaning[],
): MappedStep[] {
  let next = 0;
  return steps.map((step) => {
    if (step.index !== undefined) return { ...step, source: buildKitSource(step, stages) };
    // Classic: the next instruction in file order; its text confirms it, or a later one with
    // the same text is taken instead.
    const positional = instructions[next];
    let found = positional !== undefined && positional.text === step.instruction ? next : -1;
    if (found < 0)
      found = instructions.findIndex((item, index) => index >= next && item.text === step.instruction);
    if (found < 0 && positional !== undefined) found = next;
    if (found < 0) return { ...step };
    next = found + 1;
    const source = instructions[found];
    return source === undefined ? { ...step } : { ...step, source };
  });
}

function buildKitSource(step: BuildStepOutcome, stages: Stage[]): InstructionMeaning | undefined {
  const label = step.stage?.toLowerCase();
  let stage: Stage | undefined;
  if (label === undefined) stage = stages.length === 1 ? stages[0] : stages.at(-1);
  else {
    const numbered = /^stage-(\d+)$/.exec(label);
    stage = stages.find((candidate) => candidate.name === label) ?? stages[Number(numbered?.[1] ?? -1)];
  }
  return stage?.instructions[(step.index ?? 0) - 1];
}
