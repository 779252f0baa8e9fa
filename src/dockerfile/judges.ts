// The facts that judge a Dockerfile's instructions by meaning: the dockerfile check's
// `sequence` and the build-cache check's `fromCache` / `ranAgain`. Each compares itself with its
// expectation (compare.ts SelfComparingFact), since the step matchers need the parsed
// Dockerfile, and says in its own words what it found.
import type { Comparison, SelfComparingFact } from '../compare/compare';
import type { Matcher, StepMatcher, StepSequence } from '../spec/types';
import type { MappedStep } from './build-steps';
import type { DockerfileMeaning, InstructionMeaning, Stage } from './meaning';
import { describeInstruction, describeStepMatcher, stepMatches } from './step-matchers';

/**
 * `sequence`: each step matcher stands for the first instruction of the stage that does what it
 * says; those instructions must exist and come in the order given. "The first" is what makes
 * `COPY . .` before `COPY requirements.txt .` fail: the first copy of app.py is then the one
 * that brings everything in, before the install.
 */
export class SequenceFact implements SelfComparingFact {
  constructor(private readonly meaning: DockerfileMeaning) {}

  compareWith(matcher: Matcher): Comparison {
    const sequence = matcher as StepSequence;
    const matchers = Array.isArray(sequence) ? sequence : sequence.steps;
    const wantedStage = Array.isArray(sequence) ? undefined : sequence.stage;
    const stage = this.stage(wantedStage);
    const where = wantedStage === undefined ? 'in the last stage' : `in stage ${wantedStage}`;
    const expected = `${where}, in this order: ${matchers.map(describeStepMatcher).join(', then ')}`;
    if (stage === undefined) {
      const actual =
        this.meaning.stages.length === 0
          ? 'the Dockerfile has no FROM'
          : `no stage ${wantedStage} (stages: ${this.stageNames()})`;
      return { pass: false, expected, actual };
    }
    const firsts = matchers.map((step) =>
      stage.instructions.find((instruction) => stepMatches(instruction, step, this.meaning.stages)),
    );
    const missing = matchers.filter((_, index) => firsts[index] === undefined);
    if (missing.length > 0) {
      return {
        pass: false,
        expected,
        actual: missing.map((step) => `no instruction ${describeStepMatcher(step)}`).join('; '),
      };
    }
    const found = firsts as InstructionMeaning[];
    for (let index = 1; index < found.length; index++) {
      const before = found[index - 1] as InstructionMeaning;
      const after = found[index] as InstructionMeaning;
      if (after.line <= before.line) {
        const what = describeStepMatcher(matchers[index] as StepMatcher);
        const previous = describeStepMatcher(matchers[index - 1] as StepMatcher);
        const relation = after === before ? 'in the same instruction as' : 'before';
        return {
          pass: false,
          expected,
          actual: `first ${what} at ${describeInstruction(after)}, ${relation} ${previous} at ${describeInstruction(before)}`,
          line: after.line,
        };
      }
    }
    return { pass: true, expected, actual: found.map(describeInstruction).join('; ') };
  }

  private stage(wanted: string | number | undefined): Stage | undefined {
    const { stages } = this.meaning;
    if (wanted === undefined) return stages.at(-1);
    if (typeof wanted === 'number' || /^\d+$/.test(wanted)) return stages[Number(wanted)];
    return stages.find((stage) => stage.name === wanted.toLowerCase());
  }

  private stageNames(): string {
    return this.meaning.stages.map((stage) => stage.name ?? String(stage.index)).join(', ');
  }
}

/**
 * `fromCache` / `ranAgain`: as in a sequence, each step matcher stands for the first build step
 * that does what it says (in build order); that step must exist and have come from the cache
 * (or have run again). The first, because `COPY . .` also copies requirements.txt, and of course
 * runs again when app.py changes.
 */
export class CacheFact implements SelfComparingFact {
  constructor(
    private readonly steps: MappedStep[],
    private readonly stages: Stage[],
    private readonly wantCached: boolean,
  ) {}

  compareWith(matcher: Matcher): Comparison {
    const matchers = matcher as StepMatcher[];
    const expected = `${this.wantCached ? 'from the cache' : 'ran again'}: ${matchers.map(describeStepMatcher).join('; ')}`;
    const problems: string[] = [];
    const found: string[] = [];
    for (const step of matchers) {
      const first = this.steps.find(
        (candidate) => candidate.source !== undefined && stepMatches(candidate.source, step, this.stages),
      );
      if (first === undefined) problems.push(`no build step ${describeStepMatcher(step)}`);
      else if (first.cached !== this.wantCached) {
        problems.push(`${describeBuilt(first)} ${first.cached ? 'came from the cache' : 'ran again'}`);
      } else found.push(describeBuilt(first));
    }
    // No line of its own: the check points at the first step that ran again, which is what
    // broke the cache for the steps after it (build-cache.ts).
    if (problems.length > 0) return { pass: false, expected, actual: problems.join('; ') };
    return {
      pass: true,
      expected,
      actual: `${found.join('; ')} ${this.wantCached ? 'came from the cache' : 'ran again'}`,
    };
  }
}

function describeBuilt(step: MappedStep): string {
  return step.source === undefined ? step.instruction : describeInstruction(step.source);
}
