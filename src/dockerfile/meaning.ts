// What a Dockerfile's instructions do, rather than how they are spelt: which build-context
// files a COPY/ADD brings in, which stage a COPY --from reads, what a RUN installs, which
// directory a WORKDIR sets. The `dockerfile` check's `sequence` and the `build-cache` check's
// `fromCache`/`ranAgain` judge these with step matchers such as `{ copies: requirements.txt }`,
// so that `COPY ./requirements.txt /code/requirements.txt`, `RUN python3 -m pip install -r
// requirements.txt` and `COPY --chown=nobody:nogroup --from=0 ...` count for what they do.
//
// This file walks the stages and instructions; the readings sit beside it: copy-sources.ts
// (COPY/ADD), shell-script.ts and installs.ts (RUN), paths.ts, and step-matchers.ts, which the
// judges (judges.ts) use.
//
// Pure: text in, facts out.
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import type { PackageManager } from '../spec/types';
import { copyOf } from './copy-sources';
import { installsOf } from './installs';
import { joinContinuations, values } from './instruction-arguments';
import { normaliseAbsolute } from './paths';
import { runScript } from './shell-script';

/** One instruction with its meaning worked out. */
export interface InstructionMeaning {
  keyword: string;
  /** Normalised like the dockerfile check's `instructions`. */
  text: string;
  /** One-based, for messages. */
  line: number;
  column: number;
  stage: number;
  /** The working directory this instruction runs in (for WORKDIR: the one it sets). */
  workdir: string;
  /** COPY/ADD: its sources, normalised (context paths relative, other stages' paths absolute). */
  copy?: { sources: string[]; from?: CopySource };
  /** RUN: what it installs, with which package manager. */
  installs: Install[];
}

export type CopySource = { stage: number } | { image: string };

export interface Install {
  manager: PackageManager;
  /** pip's -r/--requirement files, resolved against the RUN's working directory. */
  requirements: string[];
}

export interface Stage {
  index: number;
  /** Lower case, as Docker compares stage names; undefined without `AS`. */
  name?: string;
  instructions: InstructionMeaning[];
}

export interface DockerfileMeaning {
  stages: Stage[];
  /** Every instruction from the first FROM on, in file order (what the builder runs as steps). */
  instructions: InstructionMeaning[];
}

export function dockerfileMeaning(text: string): DockerfileMeaning {
  const dockerfile = DockerfileParser.parse(text);
  const escapeChar = dockerfile.getEscapeCharacter();
  const stages: Stage[] = [];
  const all: InstructionMeaning[] = [];
  let current: Stage | undefined;
  let workdir = '/';
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const args = values(instruction);
      const asIndex = args.findIndex((arg) => arg.toLowerCase() === 'as');
      const name = asIndex >= 0 ? args[asIndex + 1]?.toLowerCase() : undefined;
      const base = stages.find((stage) => stage.name !== undefined && stage.name === args[0]?.toLowerCase());
      // A stage built FROM an earlier one starts in that stage's working directory.
      workdir = base === undefined ? '/' : (base.instructions.at(-1)?.workdir ?? '/');
      current = { index: stages.length, ...(name === undefined ? {} : { name }), instructions: [] };
      stages.push(current);
    }
    if (current === undefined) continue; // ARGs before the first FROM are not build steps
    if (keyword === 'WORKDIR') {
      const target = values(instruction).join(' ');
      if (target !== '') workdir = normaliseAbsolute(path.posix.resolve(workdir, target));
    }
    const start = instruction.getRange().start;
    const meaning: InstructionMeaning = {
      keyword,
      text: instructionText(instruction, escapeChar),
      line: start.line + 1,
      column: start.character + 1,
      stage: current.index,
      workdir,
      installs: keyword === 'RUN' ? installsOf(runScript(instruction, escapeChar), workdir) : [],
    };
    if (keyword === 'COPY' || keyword === 'ADD') {
      const copy = copyOf(instruction, keyword, stages);
      if (copy !== undefined) meaning.copy = copy;
    }
    current.instructions.push(meaning);
    all.push(meaning);
  }
  return { stages, instructions: all };
}

/**
 * "KEYWORD args" with whitespace runs collapsed and the keyword upper-cased, so that
 * `run  apt-get update \` + `    && ...` and the classic builder's "Step 2/5 : run apt-get
 * update    && ..." both read "RUN apt-get update && ...".
 */
export function normaliseInstruction(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  const space = collapsed.indexOf(' ');
  return space < 0
    ? collapsed.toUpperCase()
    : `${collapsed.slice(0, space).toUpperCase()}${collapsed.slice(space)}`;
}

export function instructionText(instruction: Instruction, escapeChar: string): string {
  return normaliseInstruction(joinContinuations(instruction.getTextContent(), escapeChar));
}
