// Step matchers (`{ copies: requirements.txt }`, `{ installs: pip }`, ...): whether an instruction
// does what one says, and how one reads in a message.
import type { StepMatcher } from '../spec/types';
import { sourceIncludes } from './copy-sources';
import type { CopySource, InstructionMeaning, Stage } from './meaning';
import { normaliseAbsolute, normaliseContextPath } from './paths';

/** Does this instruction do what the matcher says? Every key given must hold. */
export function stepMatches(instruction: InstructionMeaning, matcher: StepMatcher, stages: Stage[]): boolean {
  const checks: boolean[] = [];
  if (matcher.copies !== undefined || matcher.copiesFrom !== undefined) {
    checks.push(copyMatches(instruction, matcher, stages));
  }
  if (matcher.installs !== undefined) {
    const wanted = matcher.requirements;
    checks.push(
      instruction.installs.some(
        (install) =>
          install.manager === matcher.installs &&
          (wanted === undefined || install.requirements.some((file) => requirementIs(file, wanted))),
      ),
    );
  }
  if (matcher.workdir !== undefined) {
    checks.push(
      instruction.keyword === 'WORKDIR' && instruction.workdir === normaliseAbsolute(matcher.workdir),
    );
  }
  if (matcher.matches !== undefined) checks.push(new RegExp(matcher.matches).test(instruction.text));
  return checks.length > 0 && checks.every(Boolean);
}

function copyMatches(instruction: InstructionMeaning, matcher: StepMatcher, stages: Stage[]): boolean {
  const copy = instruction.copy;
  if (copy === undefined) return false;
  if (matcher.copiesFrom === undefined) {
    if (copy.from !== undefined) return false;
  } else if (copy.from === undefined || !fromMatches(copy.from, matcher.copiesFrom, stages)) {
    return false;
  }
  if (matcher.copies === undefined) return true;
  const wanted =
    copy.from === undefined ? normaliseContextPath(matcher.copies) : normaliseAbsolute(matcher.copies);
  return copy.sources.some((source) => sourceIncludes(source, wanted));
}

function fromMatches(from: CopySource, wanted: string | number | boolean, stages: Stage[]): boolean {
  if ('image' in from) return typeof wanted === 'string' && from.image === wanted;
  if (wanted === true) return true;
  if (wanted === false) return false;
  if (typeof wanted === 'number' || /^\d+$/.test(wanted)) return from.stage === Number(wanted);
  return stages[from.stage]?.name === wanted.toLowerCase();
}

/** A relative `requirements:` names the file wherever it was copied; an absolute one, that path. */
function requirementIs(file: string, wanted: string): boolean {
  if (wanted.startsWith('/')) return file === normaliseAbsolute(wanted);
  const relative = normaliseContextPath(wanted);
  return file === `/${relative}` || file.endsWith(`/${relative}`);
}

/** "copies requirements.txt", "installs with pip from requirements.txt", ... */
export function describeStepMatcher(matcher: StepMatcher): string {
  const parts: string[] = [];
  if (matcher.copies !== undefined || matcher.copiesFrom !== undefined) {
    const what = matcher.copies ?? 'files';
    parts.push(
      `copies ${what}${matcher.copiesFrom === undefined ? '' : ` ${describeFrom(matcher.copiesFrom)}`}`,
    );
  }
  if (matcher.installs !== undefined) {
    parts.push(
      `installs with ${matcher.installs}${matcher.requirements === undefined ? '' : ` from ${matcher.requirements}`}`,
    );
  }
  if (matcher.workdir !== undefined) parts.push(`sets WORKDIR ${matcher.workdir}`);
  if (matcher.matches !== undefined) parts.push(`matches /${matcher.matches}/`);
  return parts.join(' and ');
}

function describeFrom(from: string | number | boolean): string {
  if (from === true) return 'from an earlier stage';
  if (typeof from === 'number' || /^\d+$/.test(String(from))) return `from stage ${from}`;
  return `from ${from}`;
}

/** `line 4: RUN pip install -r requirements.txt` */
export function describeInstruction(instruction: InstructionMeaning): string {
  return `line ${instruction.line}: ${instruction.text}`;
}
