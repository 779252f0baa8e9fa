// Paths of the student's submission that steps hand to the engine or run (bind mounts, copies,
// scripts, compose files). A path may name only what is inside the submission folder, also after
// following symbolic links: the student controls the links, and the grader's disk is not theirs.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Failure } from '../run/context';
import { isInside } from '../shared/paths';

export type SubmissionPath = { path: string } | { failure: Failure };

/** The real absolute path of `relative` inside `submissionDir`, or why it cannot be used. */
export async function submissionPath(
  submissionDir: string,
  relative: string,
  what: string,
): Promise<SubmissionPath> {
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative)) {
    return { failure: { message: `${what} "${relative}" must be a path relative to the submission folder` } };
  }
  const root = await realpath(submissionDir);
  const lexical = path.resolve(root, relative);
  if (!isInside(root, lexical)) {
    return { failure: { message: `${what} "${relative}" is outside the submission folder` } };
  }
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { failure: { message: `${what} "${relative}" does not exist in the submission` } };
    }
    if (code === 'ELOOP') {
      return { failure: { message: `${what} "${relative}" is a loop of symbolic links` } };
    }
    throw error;
  }
  if (!isInside(root, real)) {
    return {
      failure: {
        message: `${what} "${relative}" leads outside the submission folder through a symbolic link`,
      },
    };
  }
  return { path: real };
}
