// Finds exercise files: a path may name one file, or a folder searched for exercise.yaml.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SpecError, type SpecProblem, UsageError } from '../shared/errors';
import { type LoadedExercise, loadExercise } from './load';

const EXERCISE_FILE = /^exercise\.ya?ml$/;
// Solutions hold student-like repositories; they never contain exercise specs to grade.
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'solutions', 'dist']);

export async function findExerciseFiles(paths: string[]): Promise<string[]> {
  if (paths.length === 0) throw new UsageError('name at least one exercise file or folder');
  const found: string[] = [];
  for (const given of paths) {
    const info = await stat(given).catch(() => undefined);
    if (info === undefined) throw new UsageError(`no such file or folder: ${given}`);
    if (info.isFile()) found.push(given);
    else {
      const inFolder = await searchFolder(given);
      if (inFolder.length === 0) throw new UsageError(`no exercise.yaml found under ${given}`);
      found.push(...inFolder);
    }
  }
  return [...new Set(found)];
}

async function searchFolder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && EXERCISE_FILE.test(entry.name)) files.push(full);
    else if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) files.push(...(await searchFolder(full)));
  }
  return files;
}

/** Loads every exercise, reporting the problems of all files at once; duplicate ids are an error. */
export async function loadExercises(paths: string[]): Promise<LoadedExercise[]> {
  const files = await findExerciseFiles(paths);
  const problems: SpecProblem[] = [];
  const exercises: LoadedExercise[] = [];
  for (const file of files) {
    try {
      exercises.push(await loadExercise(file));
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      problems.push(...error.problems);
    }
  }
  const seen = new Map<string, string>();
  for (const exercise of exercises) {
    const other = seen.get(exercise.spec.id);
    if (other !== undefined) {
      problems.push({
        ...exercise.locate(['id']),
        message: `exercise id "${exercise.spec.id}" is also used by ${other}`,
      });
    }
    seen.set(exercise.spec.id, exercise.file);
  }
  if (problems.length > 0) throw new SpecError(problems);
  return exercises;
}
