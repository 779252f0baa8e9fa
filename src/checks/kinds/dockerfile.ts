// The `dockerfile` check: static facts of the student's Dockerfile, no engine. Each fact
// carries the Dockerfile line it comes from, so a failure points the student at that line.
//
// Facts (of the file as written; build args given to a build step are not applied):
// - baseImages: each FROM's image, in order, with ARGs declared before the first FROM
//   substituted (as dockerfile-ast resolves them; an ARG without a default stays "${X}").
// - stages: the number of FROMs.
// - instructions: every instruction as "KEYWORD args": continuation lines joined (comment and
//   empty lines inside them dropped, as Docker does), whitespace runs collapsed, the keyword
//   upper-cased. The build-cache check reports the same form.
// - cmdForm, entrypointForm: of the last CMD / ENTRYPOINT of the last stage: "exec" when its
//   arguments are a JSON list of strings, else "shell" (`CMD "python3 app.py"` and
//   `CMD [python3, app.py]` are shell form, as Docker reads them); "none" without one.
// - user: the last stage's last USER, or null.
// - pinnedBase: every FROM that does not name an earlier stage has a tag other than latest, or
//   a digest (`scratch` is pinned; an unresolved variable is not). False without any FROM.
// - exposedPorts: the last stage's EXPOSE values, like "8080/tcp".
// - dockerignore: the lines of the .dockerignore beside the Dockerfile, comments and blank
//   lines dropped; [] without one.
// - sequence: the instructions by meaning (src/dockerfile/meaning.ts), judged against step
//   matchers in order (src/dockerfile/judges.ts).
import path from 'node:path';
import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { SequenceFact } from '../../dockerfile/judges';
import { dockerfileMeaning, instructionText } from '../../dockerfile/meaning';
import type { SourceLocation } from '../../shared/errors';
import { expectSchema, matcher, objectOf, ref, typed } from '../../spec/json-schema';
import type { StepSequence } from '../../spec/types';
import { defineCheck, type Facts } from '../check';
import { fileLocation, readStudentFile, unreadable } from '../student-file';

export const dockerfileCheck = defineCheck('dockerfile', {
  target: objectOf("Static analysis of the student's Dockerfile (no engine).", {
    file: ref('relativePath', 'Default Dockerfile.'),
  }),
  expect: expectSchema({
    baseImages: matcher('FROM images, in order.'),
    stages: matcher('Number of stages.'),
    instructions: matcher('Lines like "COPY requirements.txt .", in order.'),
    cmdForm: matcher('exec, shell or none (of the last stage).'),
    entrypointForm: matcher('exec, shell or none.'),
    user: matcher("The last stage's last USER, or null."),
    pinnedBase: matcher('Every FROM names a tag other than latest, or a digest.'),
    exposedPorts: matcher('EXPOSE values of the last stage.'),
    dockerignore: matcher('Lines of .dockerignore beside it (comments dropped).'),
    sequence: typed<StepSequence>({
      description:
        'Instructions by meaning, in this order: each step matcher stands for the first instruction of the stage that does it. A list (the last stage) or { stage, steps }.',
      oneOf: [
        ref('stepMatchers'),
        {
          type: 'object',
          required: ['stage', 'steps'],
          additionalProperties: false,
          properties: {
            stage: { type: ['string', 'integer'], description: "A stage's name or number." },
            steps: ref('stepMatchers'),
          },
        },
      ],
    }),
  }),
  readOnly: true,
  validate(target, rules) {
    rules.relativePath(['file'], target.file);
  },
  async observe(target, context) {
    const relative = target.file ?? 'Dockerfile';
    const file = await readStudentFile(context.submissionDir, relative);
    if (!file.found) {
      const message =
        file.reason === 'missing' ? `Dockerfile not found: ${relative}` : unreadable(file, relative);
      return { failure: { message, location: fileLocation(file.absolute) } };
    }
    const ignoreRelative = path.join(path.dirname(relative), '.dockerignore');
    const ignore = await readStudentFile(context.submissionDir, ignoreRelative);
    return analyseDockerfile(
      file.content.toString('utf8'),
      file.absolute,
      ignore.found ? { text: ignore.content.toString('utf8'), absolute: ignore.absolute } : undefined,
    );
  },
});

/** One instruction as the check and the build-cache check report it, with its position. */
export interface InstructionLine {
  keyword: string;
  text: string;
  /** Zero-based, as dockerfile-ast counts. */
  line: number;
  column: number;
}

export function analyseDockerfile(
  text: string,
  absolute: string,
  dockerignore?: { text: string; absolute: string },
): { facts: Facts; locations: Record<string, SourceLocation> } {
  const dockerfile = DockerfileParser.parse(text);
  const escapeChar = dockerfile.getEscapeCharacter();
  const at = (instruction: Instruction | undefined): SourceLocation => {
    if (instruction === undefined) return fileLocation(absolute);
    const start = instruction.getRange().start;
    return fileLocation(absolute, start.line + 1, start.character + 1);
  };

  const instructions = dockerfile.getInstructions();
  const froms = instructions.filter(
    (instruction): instruction is From => instruction.getKeyword() === 'FROM',
  );
  const firstFrom = froms[0];
  const lastFrom = froms.at(-1);
  const lastStage =
    lastFrom === undefined ? [] : instructions.filter((instruction) => instruction.isAfter(lastFrom));
  const lastOf = (keyword: string) =>
    lastStage.filter((instruction) => instruction.getKeyword() === keyword).at(-1);

  const stageNames: string[] = [];
  const baseImages: string[] = [];
  let firstUnpinned: From | undefined;
  for (const from of froms) {
    const image = fromImage(from);
    baseImages.push(image);
    const isStage = stageNames.includes(image.toLowerCase());
    if (!isStage && !isPinned(image)) firstUnpinned ??= from;
    const stage = from.getBuildStage();
    if (stage !== null) stageNames.push(stage.toLowerCase());
  }

  const cmd = lastOf('CMD');
  const entrypoint = lastOf('ENTRYPOINT');
  const user = lastOf('USER');
  const exposes = lastStage.filter((instruction) => instruction.getKeyword() === 'EXPOSE');
  const ignoreLines = dockerignore === undefined ? [] : dockerignoreLines(dockerignore.text);

  return {
    facts: {
      baseImages,
      stages: froms.length,
      instructions: instructions.map((instruction) => instructionText(instruction, escapeChar)),
      cmdForm: commandForm(cmd, escapeChar),
      entrypointForm: commandForm(entrypoint, escapeChar),
      user: user === undefined ? null : expanded(user).join(' '),
      pinnedBase: froms.length > 0 && firstUnpinned === undefined,
      exposedPorts: exposes.flatMap((expose) => expanded(expose).map(portWithProtocol)),
      dockerignore: ignoreLines,
      sequence: new SequenceFact(dockerfileMeaning(text)),
    },
    locations: {
      baseImages: at(firstFrom),
      stages: at(lastFrom),
      instructions: at(instructions[0]),
      cmdForm: at(cmd ?? lastFrom),
      entrypointForm: at(entrypoint ?? lastFrom),
      user: at(user ?? lastFrom),
      pinnedBase: at(firstUnpinned ?? firstFrom),
      exposedPorts: at(exposes.at(-1) ?? lastFrom),
      dockerignore: dockerignore === undefined ? at(undefined) : fileLocation(dockerignore.absolute),
      sequence: at(lastFrom),
    },
  };
}

export { normaliseInstruction } from '../../dockerfile/meaning';

/** Every instruction of a Dockerfile in the normalised form, with where it starts. */
export function instructionLines(text: string): InstructionLine[] {
  const dockerfile = DockerfileParser.parse(text);
  const escapeChar = dockerfile.getEscapeCharacter();
  return dockerfile.getInstructions().map((instruction) => {
    const start = instruction.getRange().start;
    return {
      keyword: instruction.getKeyword(),
      text: instructionText(instruction, escapeChar),
      line: start.line,
      column: start.character,
    };
  });
}

function expanded(instruction: Instruction): string[] {
  return instruction.getExpandedArguments().map((argument) => argument.getValue());
}

/** The FROM's image with variables substituted where known; flags like --platform are not arguments. */
function fromImage(from: From): string {
  return expanded(from)[0] ?? from.getImage() ?? '';
}

function isPinned(image: string): boolean {
  if (image.toLowerCase() === 'scratch') return true;
  // An unresolved ARG could be anything, "latest" included.
  if (image.includes('$')) return false;
  if (image.includes('@')) return true;
  const name = image.slice(image.lastIndexOf('/') + 1);
  const colon = name.lastIndexOf(':');
  if (colon < 0) return false;
  const tag = name.slice(colon + 1);
  return tag !== '' && tag !== 'latest';
}

function commandForm(instruction: Instruction | undefined, escapeChar: string): 'exec' | 'shell' | 'none' {
  if (instruction === undefined) return 'none';
  const text = instructionText(instruction, escapeChar);
  const args = text.slice(instruction.getKeyword().length).trim();
  if (!args.startsWith('[')) return 'shell';
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? 'exec' : 'shell';
  } catch {
    return 'shell';
  }
}

/** "8080" -> "8080/tcp", "53/UDP" -> "53/udp", like the image's ExposedPorts. */
function portWithProtocol(value: string): string {
  const [port = value, protocol] = value.split('/');
  return `${port}/${(protocol ?? 'tcp').toLowerCase()}`;
}

export function dockerignoreLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
