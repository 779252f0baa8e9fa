// Reading a file of the student's submission for a static check (dockerfile, answers,
// protected). The path was checked not to leave the submission folder (spec/semantics.ts),
// but a symlink in the student's repository still could: its target would end up quoted in
// the report, so it is refused.
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from '../shared/errors';
import { isInside } from '../shared/paths';

/** Larger files are not a Dockerfile, a quiz or a source file an exercise protects. */
export const MAX_STUDENT_FILE_BYTES = 4 * 1024 * 1024;

export type StudentFile =
  | { found: true; absolute: string; content: Buffer }
  | { found: false; absolute: string; reason: 'missing' | 'not a file' | 'outside' | 'too large' };

export async function readStudentFile(submissionDir: string, relative: string): Promise<StudentFile> {
  const absolute = path.resolve(submissionDir, relative);
  let real: string;
  let root: string;
  try {
    real = await realpath(absolute);
    root = await realpath(submissionDir);
  } catch {
    return { found: false, absolute, reason: 'missing' };
  }
  if (real === root || !isInside(root, real)) {
    return { found: false, absolute, reason: 'outside' };
  }
  const stats = await lstat(real);
  if (!stats.isFile()) return { found: false, absolute, reason: 'not a file' };
  if (stats.size > MAX_STUDENT_FILE_BYTES) return { found: false, absolute, reason: 'too large' };
  return { found: true, absolute, content: await readFile(real) };
}

/** Why a file could not be read, for a failure message. */
export function unreadable(file: StudentFile & { found: false }, shown: string): string {
  switch (file.reason) {
    case 'missing':
      return `${shown} not found`;
    case 'not a file':
      return `${shown} is not a regular file`;
    case 'outside':
      return `${shown} is a link to outside the submission folder`;
    case 'too large':
      return `${shown} is larger than ${MAX_STUDENT_FILE_BYTES / (1024 * 1024)} MiB`;
  }
}

/**
 * How a student's file is named in a report: relative to the working directory, like the
 * exercise files are (the CLI and the action run from the repository's root), else absolute.
 */
export function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
}

export function fileLocation(absolute: string, line = 1, column = 1): SourceLocation {
  return { file: displayPath(absolute), line, column };
}
