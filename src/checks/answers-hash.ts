// Quiz answers compared as keyed hashes, so that an exercise file can be public without
// giving its answers away.
//
// Each expected answer is HMAC-SHA256(key, "<exercise id>\n<question>\n<normalised answer>").
// The key is a secret of the instructor's (an environment variable / repository secret), never
// in the exercise: without it, a student holding the hashes cannot test guesses offline,
// however few the possible answers are (the course's unsalted SHA-256 of 4-letter answers falls
// to brute force in milliseconds; this does not, as long as the key itself is not guessable:
// hence a minimum length). The exercise id and the question are in the message, so the same
// answer to two questions, or in two exercises, hashes differently.
//
// Answers are normalised before hashing, so that "  Docker Hub " and "docker hub" agree:
// trimmed, lower-cased, runs of whitespace collapsed to one space; a number or boolean is its
// text; a list is its items normalised, sorted and joined with "," (so [b, a] and [a, b] agree,
// for multiple-choice questions with several correct options); null is the empty answer.
// Multiple-choice options are read by meaning, as a teacher would: "b)", "(b)" and "b." are the
// option b, and a text of option letters only ("a, c", "a c", "a and c", "c/a", "[a, c]") is the list of
// them, so it agrees with [a, c]. Text with anything else in it stays text.
import { createHmac } from 'node:crypto';
import { isMap, isScalar, LineCounter, parseDocument, stringify } from 'yaml';

export const DEFAULT_KEY_ENV = 'AUTOGRADER_ANSWERS_KEY';
/** 16 characters of a random secret are far beyond guessing; fewer invites it. */
export const MIN_KEY_LENGTH = 16;

/** Why a key cannot be used, or undefined when it can. */
export function keyProblem(key: string | undefined, keyEnv = DEFAULT_KEY_ENV): string | undefined {
  if (key === undefined || key === '') return `the answers key is not set: set ${keyEnv} (a secret)`;
  if (key.length < MIN_KEY_LENGTH) {
    return `the answers key in ${keyEnv} is too short: use at least ${MIN_KEY_LENGTH} random characters`;
  }
  return undefined;
}

export function normaliseAnswer(answer: unknown): string {
  const items = Array.isArray(answer) ? answer.flatMap(answerItems) : answerItems(answer);
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',');
}

/** One answer value as its normalised items: option letters, or one text. */
function answerItems(answer: unknown): string[] {
  if (Array.isArray(answer)) return answer.flatMap(answerItems);
  if (answer === null || answer === undefined) return [];
  const raw = typeof answer === 'object' ? JSON.stringify(answer) : String(answer);
  const text = raw.trim().replace(/\s+/g, ' ').toLowerCase();
  if (text === '') return [];
  return optionLetters(text) ?? [text];
}

/** "b", "b)", "(b)", "b." and lists of them ("a, c", "a and c", "a/c", "[a, c]"): the letters; else undefined. */
function optionLetters(text: string): string[] | undefined {
  const list = /^\[(.*)\]$/.exec(text)?.[1] ?? text;
  const parts = list.split(/\s*(?:[,;/&+]|\band\b)\s*|\s+/).filter((part) => part !== '');
  const letters: string[] = [];
  for (const part of parts) {
    const letter = /^\(?([a-z])[).]?$/.exec(part)?.[1];
    if (letter === undefined) return undefined;
    letters.push(letter);
  }
  return letters.length > 0 ? letters : undefined;
}

export function answerHash(key: string, exerciseId: string, question: string, answer: unknown): string {
  return createHmac('sha256', key)
    .update(`${exerciseId}\n${question}\n${normaliseAnswer(answer)}`, 'utf8')
    .digest('hex');
}

/** question -> hex HMAC of its normalised answer. Throws when the key is unusable. */
export function hashAnswers(
  key: string,
  exerciseId: string,
  answers: Record<string, unknown>,
): Record<string, string> {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new Error(problem);
  return Object.fromEntries(
    Object.entries(answers).map(([question, answer]) => [
      question,
      answerHash(key, exerciseId, question, answer),
    ]),
  );
}

/**
 * The `expect:` block of an answers check for these (correct) answers, as YAML to paste into
 * the exercise, e.g.
 *
 *     expect:
 *       answers:
 *         q1: 5f0c…
 */
export function renderAnswersExpect(
  key: string,
  exerciseId: string,
  answers: Record<string, unknown>,
): string {
  const hashes = hashAnswers(key, exerciseId, answers);
  const header = `# answers of ${exerciseId}, hashed with the key in ${DEFAULT_KEY_ENV} (or the check's keyEnv)\n`;
  return header + stringify({ expect: { answers: hashes } }, { lineWidth: 0 });
}

export type ParsedAnswers =
  | {
      ok: true;
      answers: Record<string, unknown>;
      /** Where each question stands in the file (1-based line and column). */
      positions: Record<string, { line: number; column: number }>;
    }
  | { ok: false; problem: string };

/** A student's (or an instructor's) answers file: YAML or JSON, a map question -> answer. */
export function parseAnswers(text: string): ParsedAnswers {
  const lineCounter = new LineCounter();
  // failsafe: every answer is the text the student typed. With YAML's core schema `3.10`
  // would become the number 3.1, and never match the instructor's "3.10".
  const document = parseDocument(text, { lineCounter, schema: 'failsafe' });
  const error = document.errors[0];
  if (error !== undefined) {
    return { ok: false, problem: `is not valid YAML or JSON: ${error.message.split('\n')[0] ?? ''}` };
  }
  let parsed: unknown;
  try {
    parsed = document.toJS({ maxAliasCount: 100 });
  } catch (thrown) {
    return {
      ok: false,
      problem: `cannot be read: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
    };
  }
  if (parsed === null || parsed === undefined) return { ok: true, answers: {}, positions: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, problem: 'must be a map of question -> answer' };
  }
  const answers = Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).map(([question, answer]) => [question.trim(), answer]),
  );
  const positions: Record<string, { line: number; column: number }> = {};
  if (isMap(document.contents)) {
    for (const item of document.contents.items) {
      if (isScalar(item.key) && item.key.range) {
        const { line, col } = lineCounter.linePos(item.key.range[0]);
        positions[String(item.key.value).trim()] = { line, column: col };
      }
    }
  }
  return { ok: true, answers, positions };
}
