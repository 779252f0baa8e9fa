// The `answers` check: a quiz. The student's answers file is read, each answer normalised and
// hashed with the instructor's secret key (answers-hash.ts), and the hashes are the facts that
// `expect.answers` (question -> expected hash) compares, one expectation per question; with
// `partial: true` each correct answer earns its share of the points.
//
// Facts: answers (question -> hash), and submitted (question -> the normalised answer), which
// the report shows instead of a hash that means nothing to the student.
import type { SourceLocation } from '../../shared/errors';
import { expectSchema, objectOf, pattern, ref, required, sha256Hex, typed } from '../../spec/json-schema';
import { answerHash, DEFAULT_KEY_ENV, keyProblem, normaliseAnswer, parseAnswers } from '../answers-hash';
import { defineCheck } from '../check';
import { CheckConfigError } from '../evaluate';
import { fileLocation, readStudentFile, unreadable } from '../student-file';

export const answersCheck = defineCheck('answers', {
  target: objectOf('A quiz: answers compared with keyed hashes (docker-autograder answers hash).', {
    file: required(ref('relativePath', "The student's answers: YAML or JSON, question -> answer.")),
    keyEnv: pattern(
      '^[A-Z_][A-Z0-9_]*$',
      'Environment variable holding the HMAC key (default AUTOGRADER_ANSWERS_KEY).',
    ),
  }),
  expect: expectSchema({
    answers: typed<Record<string, string>>({
      type: 'object',
      description: 'Question -> HMAC-SHA256 hex of the expected answer.',
      additionalProperties: sha256Hex(),
    }),
  }),
  readOnly: true,
  validate(target, rules) {
    rules.relativePath(['file'], target.file);
  },
  async observe(target, context) {
    const keyEnv = target.keyEnv ?? DEFAULT_KEY_ENV;
    const key = process.env[keyEnv];
    // Missing key: the instructor's setup, not the student's answers. Never a 0 for them.
    const problem = keyProblem(key, keyEnv);
    if (problem !== undefined || key === undefined) throw new CheckConfigError(problem ?? 'no answers key');
    const file = await readStudentFile(context.submissionDir, target.file);
    if (!file.found) {
      const message =
        file.reason === 'missing'
          ? `the answers file ${target.file} was not found`
          : unreadable(file, target.file);
      return { failure: { message, location: fileLocation(file.absolute) } };
    }
    const parsed = parseAnswers(file.content.toString('utf8'));
    if (!parsed.ok) {
      return {
        failure: {
          message: `the answers file ${target.file} ${parsed.problem}`,
          location: fileLocation(file.absolute),
        },
      };
    }
    const answers: Record<string, string> = {};
    const submitted: Record<string, string> = {};
    for (const [question, answer] of Object.entries(parsed.answers)) {
      answers[question] = answerHash(key, context.exerciseId, question, answer);
      submitted[question] = normaliseAnswer(answer);
    }
    const locations: Record<string, SourceLocation> = { answers: fileLocation(file.absolute) };
    for (const [question, position] of Object.entries(parsed.positions)) {
      locations[`answers.${question}`] = fileLocation(file.absolute, position.line, position.column);
    }
    return { facts: { answers, submitted }, locations };
  },
});
