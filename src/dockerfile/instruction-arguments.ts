// Reading an instruction's arguments as Docker's parser does: their expanded values, their
// `--flags`, the exec (JSON) form, and lines joined at the escape character. Shared by the COPY/ADD
// and RUN readings.
import type { Instruction } from 'dockerfile-ast';

export function values(instruction: Instruction): string[] {
  return instruction.getExpandedArguments().map((argument) => argument.getValue());
}

/** The `--name=value` flags of a COPY or ADD, names lower-cased. */
export function flagsOf(instruction: Instruction): Map<string, string> {
  const flags = new Map<string, string>();
  const withFlags = instruction as Instruction & {
    getFlags?: () => Array<{ getName(): string; getValue(): string | null }>;
  };
  for (const flag of withFlags.getFlags?.() ?? [])
    flags.set(flag.getName().toLowerCase(), flag.getValue() ?? '');
  return flags;
}

/** The arguments after leading `--flag` / `--flag=value` words. */
export function argumentsAfterFlags(raw: string): string {
  let rest = raw.trimStart();
  while (rest.startsWith('--')) {
    const space = rest.search(/\s/);
    rest = space < 0 ? '' : rest.slice(space).trimStart();
  }
  return rest;
}

/** The strings of an exec-form (JSON list) argument, or undefined for shell form. */
export function jsonArguments(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed) && parsed.every((item): item is string => typeof item === 'string'))
      return parsed;
  } catch {
    // Not JSON: Docker runs it as a shell command.
  }
  return undefined;
}

/**
 * Joins continuation lines as Docker's parser does: the escape character at a line's end is
 * removed and the next line appended as it is; comment lines and empty lines inside the
 * continuation are skipped.
 */
export function joinContinuations(raw: string, escapeChar: string): string {
  const continuation = new RegExp(`${escapeRegExp(escapeChar)}[ \\t]*$`);
  return raw
    .split(/\r?\n/)
    .filter((line, index) => index === 0 || (line.trim() !== '' && !line.trimStart().startsWith('#')))
    .map((line) => line.replace(continuation, ''))
    .join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A RUN's shell text on one line: each escaped newline becomes a space. */
export function joinLines(text: string, escapeChar: string): string {
  return text.replace(new RegExp(`${escapeRegExp(escapeChar)}[ \\t]*\\r?\\n`, 'g'), ' ');
}
