// COPY and ADD: which files an instruction brings in, from the build context, an earlier stage
// (`--from=0`, `--from=builder`) or an image, and whether a source covers a wanted path.
import type { Instruction } from 'dockerfile-ast';
import { argumentsAfterFlags, flagsOf, jsonArguments, values } from './instruction-arguments';
import type { CopySource, InstructionMeaning, Stage } from './meaning';
import { normaliseAbsolute, normaliseContextPath } from './paths';

export function copyOf(
  instruction: Instruction,
  keyword: string,
  stages: Stage[],
): InstructionMeaning['copy'] {
  const raw = instruction.getRawArgumentsContent() ?? '';
  const flags = flagsOf(instruction);
  const args = jsonArguments(argumentsAfterFlags(raw)) ?? values(instruction);
  // A heredoc (COPY <<EOF /x) copies inline text, not files.
  if (args.some((arg) => arg.startsWith('<<'))) return undefined;
  const sources = args.slice(0, -1);
  if (sources.length === 0) return undefined;
  const fromValue = flags.get('from');
  if (fromValue === undefined) {
    // ADD also fetches URLs; those are not files of the build context.
    const local =
      keyword === 'ADD' ? sources.filter((source) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) : sources;
    return { sources: local.map(normaliseContextPath) };
  }
  return { sources: sources.map(normaliseAbsolute), from: resolveFrom(fromValue, stages) };
}

/**
 * `--from=0`, `--from=builder`: an earlier stage; anything else is an image. The stage being
 * built is the last of `stages` and is not an earlier one: Docker refuses a stage copying from
 * itself, so `--from` naming it is no stage to copy from.
 */
function resolveFrom(value: string, stages: Stage[]): CopySource {
  const earlier = stages.slice(0, -1);
  if (/^\d+$/.test(value)) {
    const index = Number(value);
    if (index < earlier.length) return { stage: index };
  }
  const named = earlier.find((stage) => stage.name === value.toLowerCase());
  return named === undefined ? { image: value } : { stage: named.index };
}
/** Does a COPY source (normalised) bring in `wanted`: the same path, a folder holding it, or a wildcard matching it? */
export function sourceIncludes(source: string, wanted: string): boolean {
  if (source === '.' || source === '/' || source === wanted) return true;
  const prefix = source.endsWith('/') ? source : `${source}/`;
  if (wanted.startsWith(prefix)) return true;
  if (!/[*?[]/.test(source)) return false;
  // A wildcard matches the path or one of the folders above it, segment by segment.
  const pattern = globRegExp(source);
  const segments = wanted.split('/');
  return segments.some((_, index) => pattern.test(segments.slice(0, index + 1).join('/')));
}

/** Go's filepath.Match, which Docker uses for COPY sources: `*` and `?` stop at `/`. */
function globRegExp(glob: string): RegExp {
  let pattern = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index] ?? '';
    if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else if (char === '[') {
      const end = glob.indexOf(']', index + 1);
      if (end < 0) pattern += '\\[';
      else {
        pattern += `[${glob
          .slice(index + 1, end)
          .replace(/^\^|^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        index = end;
      }
    } else pattern += char.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}
