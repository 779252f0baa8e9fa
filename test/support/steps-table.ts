// Tables of step tests: one test a row, each grading an exercise of its own steps on the real engine
// and saying what its setup must come to; every row also asserts that the run left nothing behind.
import { expect, it } from 'vitest';
import {
  type Graded,
  gradeInline,
  leftovers,
  type SubmissionFile,
  stepsExercise,
  summary,
} from './inline-grading';

/** One test: the exercise `steps/<id>` and what grading it must come to. */
export interface StepsCase {
  /** The test's title. */
  title: string;
  /** The exercise's id under steps/ (and its title). */
  id: string;
  /** The exercise's steps (YAML list items). */
  steps: string;
  /** Its checks (YAML list items); FILLER_CHECK when not given. */
  checks?: string;
  /** The submission's files. */
  files?: Record<string, SubmissionFile>;
  /** The setup error, to the letter or by a pattern; when not given, the setup must succeed. */
  setupError?: string | RegExp;
  /** The log of the step that failed, to the letter or by a pattern. */
  setupLog?: string | RegExp;
  /** Every check must pass as well. */
  allPass?: boolean;
  /** The statuses some checks must have, by name. */
  statuses?: Record<string, string>;
  /** How long grading may take at the most, in milliseconds: for what must fail at once. */
  withinMs?: number;
  /** What else the test asserts of the graded exercise (before the leftovers). */
  alsoExpect?: (graded: Graded) => void | Promise<void>;
}

/** What must hold of a text: equal to a string, or matching a pattern. */
function expectText(actual: string | undefined, expected: string | RegExp): void {
  if (typeof expected === 'string') expect(actual).toBe(expected);
  else expect(actual).toMatch(expected);
}

/**
 * One test a row, by its title: grades the row's exercise, then asserts the setup error (or none),
 * the setup log, the checks' statuses, the time taken, the row's own assertions, and last that the
 * run left nothing with its label on the engine.
 */
export function itGradesSteps(cases: StepsCase[]): void {
  // A loop rather than it.each: it.each would quote and cut the titles.
  for (const row of cases) {
    it(row.title, async () => {
      const started = Date.now();
      const graded = await gradeInline(stepsExercise(row.id, row.steps, row.checks), row.files);
      if (row.setupError === undefined) expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
      else expectText(graded.exercise.setupError, row.setupError);
      if (row.setupLog !== undefined) expectText(graded.exercise.setupLog, row.setupLog);
      if (row.allPass) {
        for (const [name, status] of Object.entries(graded.statuses))
          expect(status, `${name}\n${summary(graded)}`).toBe('pass');
      }
      for (const [name, status] of Object.entries(row.statuses ?? {}))
        expect(graded.statuses[name], summary(graded)).toBe(status);
      if (row.withinMs !== undefined) expect(Date.now() - started).toBeLessThan(row.withinMs);
      await row.alsoExpect?.(graded);
      expect(await leftovers(graded.runId)).toEqual([]);
    });
  }
}

/** Run steps of busybox containers that only sleep (a minute): for steps that act on containers. */
export function sleeping(...names: string[]): string {
  return names.map((name) => `  - run: { name: ${name}, image: busybox, command: [sleep, "60"] }\n`).join('');
}
