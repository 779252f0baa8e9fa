// The exercise pack graded by its own solutions on the real engine (src/grading/selftest.ts): every
// exercise's reference solution and every alt-* (a correct solution written differently) must
// get full marks, and every wrong-* solution must fail exactly the checks its expect.yaml lists. Nothing the grading created may remain afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAnswers } from '../../../src/checks/answers-hash';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import { renderSelftest, selftest } from '../../../src/grading/selftest';
import { loadExercises } from '../../../src/spec/discover';
import type { LoadedExercise } from '../../../src/spec/load';
import { labelled, ROOT } from '../../support/integration';

const PACK = path.join(ROOT, 'exercises');
const runId = `itg-exercises-${Date.now()}`;
/**
 * The key the pack's quiz hashes were made with. It is public (it is here), so it only serves the
 * selftest: an instructor regenerates the hashes with a secret key before grading students.
 */
const SELFTEST_ANSWERS_KEY = 'selftest-answers-key-not-secret';
/** The reference answers of the quiz, to prove the hashes in the spec are theirs. */
const QUIZ = { id: 'intro/hello-world', answers: { q1: 'c', q2: 'a', q3: 'd', q4: ['b', 'c'], q5: 'b' } };

/**
 * What the solutions' scripts create under fixed names (they carry no labels of ours; the grader
 * finds them by what appeared while the script ran): none may remain.
 */
const SCRIPT_CONTAINERS = [
  'hello',
  'my-nginx',
  'nginx',
  'flask-app',
  'redis',
  'vol-redis',
  'vol-nginx',
  'box',
  'bind-nginx',
  'own-bind',
  'own-volume',
  'ubuntu1',
  'ubuntu2',
  'prometheus',
  'blackbox',
  'limited',
  'hog',
  'peek',
  'web',
];
const SCRIPT_NETWORKS = ['public-net-1', 'private-net-1', 'app-net', 'inspect-net', 'monitoring'];
const SCRIPT_VOLUMES = ['redis-data', 'own-vol', 'site', 'shared'];
const SCRIPT_IMAGES = ['isolated-flask-app', 'isolated-proxy'];

/**
 * Exercises over the default 5 minutes: images/troubleshooting's solutions install Python from
 * Debian's mirror in three builds, each starting from an empty apt cache (a slow mirror makes
 * that minutes each).
 */
const EXERCISE_TIME_LIMIT_MS: Record<string, number> = { 'images/troubleshooting': 900_000 };

let exercises: LoadedExercise[] = [];
const savedKey = process.env.AUTOGRADER_ANSWERS_KEY;

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 30_000 });
}

function leftoverScriptResources(): string[] {
  const found: string[] = [];
  for (const name of SCRIPT_CONTAINERS) {
    if (docker(['ps', '-aq', '--filter', `name=^/${name}$`]).trim() !== '') found.push(`container ${name}`);
  }
  for (const name of SCRIPT_NETWORKS) {
    if (docker(['network', 'ls', '-q', '--filter', `name=^${name}$`]).trim() !== '')
      found.push(`network ${name}`);
  }
  for (const name of SCRIPT_VOLUMES) {
    if (docker(['volume', 'ls', '-q', '--filter', `name=^${name}$`]).trim() !== '')
      found.push(`volume ${name}`);
  }
  for (const name of SCRIPT_IMAGES) {
    if (docker(['image', 'ls', '-q', name]).trim() !== '') found.push(`image ${name}`);
  }
  return found;
}

beforeAll(async () => {
  process.env.AUTOGRADER_ANSWERS_KEY = SELFTEST_ANSWERS_KEY;
  exercises = await loadExercises([PACK]);
});

afterAll(() => {
  if (savedKey === undefined) delete process.env.AUTOGRADER_ANSWERS_KEY;
  else process.env.AUTOGRADER_ANSWERS_KEY = savedKey;
});

describe('the exercise pack', () => {
  it('validates, and every exercise has a README, a reference, an alternative and two wrong solutions', () => {
    // Issue 8: every gradable task of the six lessons, at least 18 exercises.
    expect(exercises.length).toBeGreaterThanOrEqual(18);
    for (const exercise of exercises) {
      const dir = exercise.dir;
      expect(readFileSync(path.join(dir, 'exercise.yaml'), 'utf8').split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../../../schema/exercise.schema.json',
      );
      expect(existsSync(path.join(dir, 'README.md')), `${dir}/README.md`).toBe(true);
      const solutions = readdirSync(path.join(dir, 'solutions'));
      expect(solutions).toContain('reference');
      expect(
        solutions.filter((name) => name.startsWith('alt-')).length,
        `${dir}: correct solutions written differently (alt-*)`,
      ).toBeGreaterThan(0);
      const wrong = solutions.filter((name) => name.startsWith('wrong-'));
      expect(wrong.length, `${dir}: realistic mistakes (wrong-*)`).toBeGreaterThanOrEqual(2);
      for (const name of wrong) {
        expect(
          existsSync(path.join(dir, 'solutions', name, 'expect.yaml')),
          `${dir}/solutions/${name}/expect.yaml`,
        ).toBe(true);
      }
    }
  });

  it('holds the quiz hashes of the reference answers under the selftest key', () => {
    const quiz = exercises.find((exercise) => exercise.spec.id === QUIZ.id);
    const check = quiz?.spec.checks.find((candidate) => candidate.answers !== undefined);
    expect(check?.expect?.answers).toEqual(hashAnswers(SELFTEST_ANSWERS_KEY, QUIZ.id, QUIZ.answers));
  });
});

describe('selftest of every exercise on the real engine', () => {
  const engine = createDockerEngine(runId);
  const lines: string[] = [];
  const progress = {
    info: (line: string) => lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`),
    output: (line: string) => lines.push(`  | ${line}`),
  };

  afterAll(async () => {
    expect(await labelled(`org.docker-autograder.run=${runId}`)).toEqual([]);
    expect(leftoverScriptResources()).toEqual([]);
  });

  // One test per exercise, named after it, so that a failure says which exercise broke
  // (`-t images/multi-stage` runs one). EXERCISES_PROGRESS=1 prints the grader's progress.
  // A compose exercise with a down + up takes over a minute per solution on a busy engine,
  // and has four or five solutions: hence 10 minutes.
  const ids = listExerciseIds();
  for (const id of ids) {
    const limitMs = EXERCISE_TIME_LIMIT_MS[id] ?? 600_000;
    it(
      id,
      async () => {
        const exercise = exercises.find((candidate) => candidate.spec.id === id);
        expect(exercise, `exercise ${id}`).toBeDefined();
        if (exercise === undefined) return;
        lines.length = 0;
        const outcomes = await selftest([exercise], engine, progress);
        const summary = renderSelftest(outcomes);
        console.log(summary);
        if (process.env.EXERCISES_PROGRESS) console.log(lines.join('\n'));
        expect(outcomes.length).toBeGreaterThanOrEqual(2);
        expect(
          outcomes.filter((outcome) => !outcome.ok),
          `${summary}\n--- progress ---\n${lines.slice(-80).join('\n')}`,
        ).toEqual([]);
      },
      limitMs,
    );
  }
});

/** The exercise ids of the pack, read synchronously (tests are declared before beforeAll runs). */
function listExerciseIds(): string[] {
  const ids: string[] = [];
  for (const lesson of readdirSync(PACK).sort()) {
    const lessonDir = path.join(PACK, lesson);
    if (!statSync(lessonDir).isDirectory()) continue;
    for (const name of readdirSync(lessonDir).sort()) {
      const file = path.join(lessonDir, name, 'exercise.yaml');
      try {
        const match = /^id:\s*(\S+)/m.exec(readFileSync(file, 'utf8'));
        if (match?.[1]) ids.push(match[1]);
      } catch {
        // not an exercise folder
      }
    }
  }
  return ids;
}
