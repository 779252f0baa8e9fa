// Every quiz of the pack tells students the same answer format, and that format is the one the
// grader reads (src/checks/answers-hash.ts). Issue 14: three READMEs said "only the letter, not
// b)" and two said nothing, while the grader took `b)`, `(b)` and `a, c` in all of them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { normaliseAnswer, parseAnswers } from '../../../src/checks/answers-hash';
import { loadExercises } from '../../../src/spec/discover';
import type { LoadedExercise } from '../../../src/spec/load';

const PACK = path.resolve(__dirname, '../../../exercises');

/** The one statement of the format, word for word in every quiz README (line breaks aside). */
function answerFormat(answersFile: string): string {
  return (
    `Answer in \`${answersFile}\`, one line per question: its key, a colon and the letter of ` +
    'your answer (`q1: b`). Where a question has two right answers, write both letters as a list: ' +
    '`[a, c]`. The grader reads the letters only: capitals, spaces, the order of a list, and a ' +
    'bracket or a dot after a letter do not matter, so `B`, `b)`, `(b)` and `b.` are all `b`, and ' +
    '`a, c` is `[a, c]`. JSON works too.'
  );
}

function collapsed(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

interface Quiz {
  id: string;
  readme: string;
  answersFile: string;
  questions: string[];
}

function quizzesOf(exercises: LoadedExercise[]): Quiz[] {
  return exercises.flatMap((exercise) => {
    const checks = exercise.spec.checks.filter((check) => check.answers !== undefined);
    const first = checks[0]?.answers;
    if (first === undefined) return [];
    const questions = checks.flatMap((check) => Object.keys(check.expect?.answers ?? {}));
    const folder = exercise.spec.submission ?? '.';
    return [
      {
        id: exercise.spec.id,
        readme: readFileSync(path.join(exercise.dir, 'README.md'), 'utf8'),
        answersFile: path.posix.join(folder, first.file),
        questions,
      },
    ];
  });
}

describe('the answer format the quiz READMEs state', () => {
  let quizzes: Quiz[] = [];

  beforeAll(async () => {
    quizzes = quizzesOf(await loadExercises([PACK]));
  });

  it('is stated, in the same words, in every README of an exercise with a quiz', () => {
    // The five lesson quizzes, intro/quiz and hello-world's own questions.
    expect(quizzes.map((quiz) => quiz.id)).toEqual(
      expect.arrayContaining([
        'compose/quiz',
        'containers/quiz',
        'images/quiz',
        'intro/hello-world',
        'intro/quiz',
        'networking/quiz',
        'volumes/quiz',
      ]),
    );
    const without = quizzes
      .filter((quiz) => !collapsed(quiz.readme).includes(collapsed(answerFormat(quiz.answersFile))))
      .map((quiz) => quiz.id);
    expect(without, 'quiz READMEs without the answer format').toEqual([]);
  });

  it('is what the grader reads: each spelling it names is the answer it names', () => {
    const statement = answerFormat('quiz/answers.yaml');
    const sameAsB = /so (.*?) are all `b`/.exec(statement)?.[1] ?? '';
    const spellings = [...sameAsB.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
    expect(spellings).toEqual(['B', 'b)', '(b)', 'b.']);
    for (const spelling of spellings) expect(normaliseAnswer(spelling), spelling).toBe(normaliseAnswer('b'));
    expect(normaliseAnswer('a, c')).toBe(normaliseAnswer(['a', 'c']));
    expect(normaliseAnswer('[a, c]')).toBe(normaliseAnswer(['c', 'a']));
    expect(normaliseAnswer(' B ')).toBe('b');
    // The two lines it shows, as a file, and the same file in JSON.
    const yaml = parseAnswers('q1: b\nq2: [a, c]\n');
    const json = parseAnswers('{"q1": "b", "q2": ["a", "c"]}');
    expect(yaml.ok && json.ok).toBe(true);
    if (!yaml.ok || !json.ok) return;
    expect(normaliseAnswer(yaml.answers.q1)).toBe('b');
    expect(normaliseAnswer(yaml.answers.q2)).toBe('a,c');
    expect(normaliseAnswer(json.answers.q2)).toBe('a,c');
  });

  it('shows an example file in that format, one answer per question of the quiz', () => {
    for (const quiz of quizzes) {
      const example = /```yaml\n([\s\S]*?)```/.exec(
        quiz.readme.slice(quiz.readme.indexOf('Answer in `')),
      )?.[1];
      expect(example, `${quiz.id}: an example answers file`).toBeDefined();
      const parsed = parseAnswers(example ?? '');
      expect(parsed.ok, quiz.id).toBe(true);
      if (!parsed.ok) continue;
      expect(Object.keys(parsed.answers).sort(), quiz.id).toEqual([...quiz.questions].sort());
      for (const [question, answer] of Object.entries(parsed.answers)) {
        expect(normaliseAnswer(answer), `${quiz.id} ${question}`).toMatch(/^[a-d](,[a-d])*$/);
      }
      // Every question the checks grade is asked in the README.
      for (const question of quiz.questions) expect(quiz.readme, quiz.id).toContain(`**${question}.**`);
    }
  });
});
