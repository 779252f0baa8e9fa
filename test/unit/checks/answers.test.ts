// Quiz answers: keyed hashing and normalisation (answers-hash.ts), and the answers check
// through grade() on temporary folders.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  answerHash,
  hashAnswers,
  normaliseAnswer,
  parseAnswers,
  renderAnswersExpect,
} from '../../../src/checks/answers-hash';
import { displayPath } from '../../../src/checks/student-file';
import { grade } from '../../../src/grading/grade';
import { parseExercise } from '../../../src/spec/load';
import { FakeEngine } from '../../support/fake-engine';

const KEY = 'k3y-for-tests-only-0123456789abcdef';

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function tempFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'answers-test-'));
  created.push(dir);
  return dir;
}
const EXERCISE = 'intro/quiz';
const CORRECT = { q1: 'b', q2: 'Docker Hub', q3: ['a', 'c'], q4: 3 };

describe('answer hashing', () => {
  it('normalises answers before hashing', () => {
    expect(normaliseAnswer('  Docker   HUB \n')).toBe('docker hub');
    expect(normaliseAnswer(['C', ' a'])).toBe('a,c');
    expect(normaliseAnswer(3)).toBe('3');
    expect(normaliseAnswer(true)).toBe('true');
    expect(normaliseAnswer(null)).toBe('');
    expect(answerHash(KEY, EXERCISE, 'q2', 'docker hub')).toBe(
      answerHash(KEY, EXERCISE, 'q2', ' Docker  Hub'),
    );
    expect(answerHash(KEY, EXERCISE, 'q3', ['c', 'a'])).toBe(answerHash(KEY, EXERCISE, 'q3', ['a', 'c']));
  });

  it.each([
    ['b)', 'b'],
    ['(B)', 'b'],
    ['b.', 'b'],
    ['a, c', 'a,c'],
    ['C,A', 'a,c'],
    ['a c', 'a,c'],
    ['a and c', 'a,c'],
    ['c/a', 'a,c'],
    ['a) , c)', 'a,c'],
    [['c)', 'a'], 'a,c'],
    [['b', 'a, c'], 'a,b,c'],
    [['a', 'a'], 'a'],
    ['[a, c]', 'a,c'],
  ])('reads the multiple-choice answer %j by meaning, as %j', (answer, normalised) => {
    expect(normaliseAnswer(answer)).toBe(normalised);
  });

  // Only option letters, alone or listed, make a multiple-choice answer ("bc" is a word, not b and
  // c): any other text stays that text, in lower case.
  it.each(['Docker Hub', 'build and run', 'a.b', 'docker run -d', '3', 'bc'])(
    'keeps a text answer %j as text',
    (answer) => {
      expect(normaliseAnswer(answer)).toBe(answer.toLowerCase());
    },
  );

  it('gives the same hash to a list and to its letters written in a line', () => {
    expect(answerHash(KEY, EXERCISE, 'q3', 'a, c')).toBe(answerHash(KEY, EXERCISE, 'q3', ['c', 'a']));
    expect(answerHash(KEY, EXERCISE, 'q3', 'a, b')).not.toBe(answerHash(KEY, EXERCISE, 'q3', ['c', 'a']));
  });

  it('is an HMAC-SHA256 keyed by the secret, over the exercise, the question and the answer', () => {
    const expected = createHmac('sha256', KEY).update(`${EXERCISE}\nq1\nb`).digest('hex');
    expect(answerHash(KEY, EXERCISE, 'q1', 'B')).toBe(expected);
    // Another key, exercise or question gives another hash for the same answer.
    const others = [
      answerHash(`${KEY}-other`, EXERCISE, 'q1', 'b'),
      answerHash(KEY, 'intro/other', 'q1', 'b'),
      answerHash(KEY, EXERCISE, 'q2', 'b'),
    ];
    for (const other of others) expect(other).not.toBe(expected);
  });

  it('refuses a missing or short key, which would make the hashes guessable', () => {
    expect(() => hashAnswers('', EXERCISE, CORRECT)).toThrow(/answers key is not set/);
    expect(() => hashAnswers('short', EXERCISE, CORRECT)).toThrow(/too short: use at least 16/);
  });

  it('renders the expect block to paste into the exercise', () => {
    const yaml = renderAnswersExpect(KEY, EXERCISE, CORRECT);
    expect(yaml.startsWith('# answers of intro/quiz')).toBe(true);
    expect(parse(yaml)).toEqual({ expect: { answers: hashAnswers(KEY, EXERCISE, CORRECT) } });
    // What it renders is a valid answers check.
    const spec = `version: 1\nid: ${EXERCISE}\ntitle: Quiz\nchecks:\n  - name: quiz\n    answers: { file: answers.yaml }\n${yaml
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n')}`;
    expect(() => parseExercise(spec, 'quiz/exercise.yaml')).not.toThrow();
  });

  it('parses YAML and JSON answers files, and says what is wrong with others', () => {
    expect(parseAnswers('q1: b\n" q2 ": x\n')).toMatchObject({ ok: true, answers: { q1: 'b', q2: 'x' } });
    expect(parseAnswers('{"q1": "b"}')).toMatchObject({ ok: true, answers: { q1: 'b' } });
    // Answers are the text the student typed: 3.10 is not the number 3.1, 0x1F is not 31.
    expect(parseAnswers('q1: 3.10\nq2: 0x1F\nq3: true\n')).toMatchObject({
      ok: true,
      answers: { q1: '3.10', q2: '0x1F', q3: 'true' },
    });
    expect(parseAnswers('q1: b\nq2: c\n')).toMatchObject({
      ok: true,
      positions: { q1: { line: 1, column: 1 }, q2: { line: 2, column: 1 } },
    });
    expect(parseAnswers('')).toMatchObject({ ok: true, answers: {} });
    expect(parseAnswers('- a\n- b\n')).toEqual({ ok: false, problem: 'must be a map of question -> answer' });
    expect(parseAnswers('q1: [\n')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^is not valid YAML/),
    });
  });
});

describe('answers check', () => {
  const saved = process.env.AUTOGRADER_ANSWERS_KEY;
  beforeEach(() => {
    process.env.AUTOGRADER_ANSWERS_KEY = KEY;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.AUTOGRADER_ANSWERS_KEY;
    else process.env.AUTOGRADER_ANSWERS_KEY = saved;
  });

  const hashes = hashAnswers(KEY, EXERCISE, CORRECT);
  const spec = (extra = '') => `version: 1
id: ${EXERCISE}
title: Self-check quiz
checks:
  - name: quiz
    points: 4
    partial: true
    answers: { file: answers.yaml${extra} }
    expect:
      answers:
${Object.entries(hashes)
  .map(([question, hash]) => `        ${question}: ${hash}`)
  .join('\n')}
  - name: another check
    protected: { file: answers.yaml, sha256: '${'0'.repeat(64)}' }
`;

  function answersFolder(text: string): string {
    const dir = tempFolder();
    writeFileSync(path.join(dir, 'answers.yaml'), text);
    return dir;
  }

  async function gradeQuiz(text: string, extra?: string) {
    const report = await grade([parseExercise(spec(extra), 'quiz/exercise.yaml')], {
      engine: new FakeEngine(),
      submissionRoot: answersFolder(text),
    });
    const exercise = report.exercises[0];
    if (exercise === undefined) throw new Error('no exercise result');
    return exercise;
  }

  it('passes when every answer is right, whatever its case and spacing', async () => {
    const exercise = await gradeQuiz('q1: B\nq2: "  docker hub"\nq3: [c, A]\nq4: 3\n');
    expect(exercise.checks[0]).toMatchObject({ status: 'pass', points: 4 });
  });

  it('gives a point per right answer and shows the wrong answers, never the expected ones', async () => {
    const dir = answersFolder('q1: a\nq2: docker hub\nq3: [a, c]\n');
    const report = await grade([parseExercise(spec(), 'quiz/exercise.yaml')], {
      engine: new FakeEngine(),
      submissionRoot: dir,
    });
    const check = report.exercises[0]?.checks[0];
    expect(check).toMatchObject({ status: 'fail', points: 2, maxPoints: 4 });
    expect(check?.message).toBe('answers.q1, answers.q4 not as expected (2 of 4 held)');
    expect(check?.expected).toBe(
      'answers.q1: the expected answer (not shown)\nanswers.q4: the expected answer (not shown)',
    );
    expect(check?.actual).toBe('answers.q1: a\nanswers.q4: (no answer)');
    expect(check?.location).toEqual({
      file: displayPath(path.join(dir, 'answers.yaml')),
      line: 1,
      column: 1,
    });
    expect(JSON.stringify(check)).not.toContain(hashes.q1 ?? 'no hash');
  });

  it('is an error, never a 0, when the instructor did not set the key; other checks still run', async () => {
    delete process.env.AUTOGRADER_ANSWERS_KEY;
    const exercise = await gradeQuiz('q1: b\n');
    expect(exercise.checks.map((check) => check.status)).toEqual(['error', 'fail']);
    expect(exercise.checks[0]?.message).toBe(
      'the answers key is not set: set AUTOGRADER_ANSWERS_KEY (a secret)',
    );
    expect(exercise.status).toBe('error');
  });

  it('reads the key from the variable the check names', async () => {
    process.env.QUIZ_KEY = KEY;
    delete process.env.AUTOGRADER_ANSWERS_KEY;
    try {
      const exercise = await gradeQuiz('q1: b\nq2: docker hub\nq3: [a, c]\nq4: 3\n', ', keyEnv: QUIZ_KEY');
      expect(exercise.checks[0]?.status).toBe('pass');
    } finally {
      delete process.env.QUIZ_KEY;
    }
  });

  it('gets no points with another key', async () => {
    process.env.AUTOGRADER_ANSWERS_KEY = `${KEY}-rotated`;
    const exercise = await gradeQuiz('q1: b\nq2: docker hub\nq3: [a, c]\nq4: 3\n');
    expect(exercise.checks[0]).toMatchObject({ status: 'fail', points: 0 });
  });

  it('fails a missing or malformed answers file', async () => {
    const missing = await grade([parseExercise(spec(), 'quiz/exercise.yaml')], {
      engine: new FakeEngine(),
      submissionRoot: tempFolder(),
    });
    expect(missing.exercises[0]?.checks[0]).toMatchObject({
      status: 'fail',
      points: 0,
      message: 'the answers file answers.yaml was not found',
    });
    const malformed = await gradeQuiz('- b\n- docker hub\n');
    expect(malformed.checks[0]?.message).toBe(
      'the answers file answers.yaml must be a map of question -> answer',
    );
  });
});
