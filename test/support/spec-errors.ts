// The SpecError an exercise's text is refused with, for unit tests of what the spec rules say.
import { SpecError } from '../../src/shared/errors';
import { parseExercise } from '../../src/spec/load';

/** The SpecError parsing `yaml` throws; any other error is thrown on, and an accepted exercise fails the test. */
export function specErrorOf(yaml: string): SpecError {
  try {
    parseExercise(yaml, 'exercise.yaml');
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected the exercise to be rejected');
}
