// Types of the validator scripts/build-validator.mjs generates from schema/exercise.schema.json.
import type { ErrorObject } from 'ajv';

export interface ExerciseValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

declare const validate: ExerciseValidator;
export default validate;
