// selftest: grades each exercise's own solutions, so an instructor knows the exercise grades
// what it should. solutions/reference and every solutions/alt-* (a correct solution written
// differently) must get full marks; every solutions/wrong-* must not pass, and when it has an
// expect.yaml, must fail exactly the checks it lists.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { Engine } from '../engine/engine';
import type { ExerciseResult } from '../report/model';
import { oneLine } from '../report/sanitize';
import type { Progress } from '../run/context';
import { errorMessage, SpecError } from '../shared/errors';
import type { LoadedExercise } from '../spec/load';
import { grade } from './grade';

export interface SolutionOutcome {
  exercise: string;
  solution: string;
  score: number;
  maxScore: number;
  ok: boolean;
  /** Why the outcome is not what the solution's folder says it should be. */
  problem?: string;
  /** The engine failed: this says nothing about the exercise. */
  infraError?: boolean;
}

const EXPECT_FILE = 'expect.yaml';

export async function selftest(
  exercises: LoadedExercise[],
  engine: Engine,
  progress: Progress,
): Promise<SolutionOutcome[]> {
  const outcomes: SolutionOutcome[] = [];
  for (const exercise of exercises) {
    const solutionsDir = path.join(exercise.dir, 'solutions');
    // Other folders under solutions/ (notes, shared assets) are not graded.
    const solutions = (await listDirs(solutionsDir)).filter(
      (name) => isCorrect(name) || name.startsWith('wrong-'),
    );
    if (!solutions.includes('reference')) {
      outcomes.push({
        exercise: exercise.spec.id,
        solution: 'reference',
        score: 0,
        maxScore: 0,
        ok: false,
        problem: `no reference solution in ${solutionsDir}`,
      });
    }
    for (const solution of solutions) {
      const root = path.join(solutionsDir, solution);
      progress.info(`selftest ${exercise.spec.id} with ${solution}`);
      const report = await grade([exercise], { engine, submissionRoot: root, progress });
      const result = report.exercises[0];
      if (result === undefined) continue;
      const problem = await judge(solution, root, result);
      outcomes.push({
        exercise: exercise.spec.id,
        solution,
        score: result.score,
        maxScore: result.maxScore,
        ok: problem === undefined,
        ...(problem === undefined ? {} : { problem }),
        ...(result.status === 'error' ? { infraError: true } : {}),
      });
    }
  }
  return outcomes;
}

/** Full marks required: the reference, and the alternatives written differently from it. */
function isCorrect(solution: string): boolean {
  return solution === 'reference' || solution.startsWith('alt-');
}

async function judge(solution: string, root: string, result: ExerciseResult): Promise<string | undefined> {
  if (result.status === 'error') return `grading failed: ${result.setupError ?? 'engine error'}`;
  const failing = result.checks.filter((check) => check.status !== 'pass').map((check) => check.name);
  if (isCorrect(solution)) {
    if (failing.length === 0) return undefined;
    // What was observed, so that an instructor (or a flaky CI run) shows why, not only which.
    const why = result.checks
      .filter((check) => check.status !== 'pass')
      .map(
        (check) =>
          `${check.name} (${check.message}${check.actual === undefined ? '' : `; actual: ${oneLine(check.actual)}`})`,
      );
    const which = solution === 'reference' ? 'the reference solution' : `the correct solution ${solution}`;
    return `${which} fails: ${why.join('; ')}`;
  }
  if (failing.length === 0) return 'this wrong solution gets full marks';
  const expected = await expectedFailures(root);
  if (expected === undefined) return undefined;
  const missing = expected.filter((name) => !failing.includes(name));
  const extra = failing.filter((name) => !expected.includes(name));
  if (missing.length === 0 && extra.length === 0) return undefined;
  return [
    missing.length > 0 ? `expected to fail but passed: ${missing.join('; ')}` : '',
    extra.length > 0 ? `failed unexpectedly: ${extra.join('; ')}` : '',
  ]
    .filter(Boolean)
    .join('. ');
}

/** The `failing:` list of a wrong solution's expect.yaml, if it has one. */
async function expectedFailures(root: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(root, EXPECT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const file = path.join(root, EXPECT_FILE);
  let data: { failing?: unknown } | null;
  try {
    data = parse(text) as { failing?: unknown } | null;
  } catch (error) {
    throw new SpecError([{ file, line: 1, column: 1, message: `not valid YAML: ${errorMessage(error)}` }]);
  }
  const failing = data?.failing;
  if (!Array.isArray(failing) || !failing.every((name) => typeof name === 'string')) {
    throw new SpecError([{ file, line: 1, column: 1, message: '"failing" must be a list of check names' }]);
  }
  return failing;
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

export function renderSelftest(outcomes: SolutionOutcome[]): string {
  const lines = outcomes.map(
    (outcome) =>
      `${outcome.ok ? '✔' : '✘'} ${outcome.exercise} / ${outcome.solution}: ${outcome.score}/${outcome.maxScore}` +
      (outcome.problem ? ` — ${outcome.problem}` : ''),
  );
  const bad = outcomes.filter((outcome) => !outcome.ok).length;
  lines.push(
    '',
    bad === 0
      ? `selftest: all ${outcomes.length} solutions graded as expected`
      : `selftest: ${bad} of ${outcomes.length} solutions not graded as expected`,
  );
  return `${lines.join('\n')}\n`;
}
