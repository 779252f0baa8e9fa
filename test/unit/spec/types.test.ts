// The JSON Schema is the source of truth; the TypeScript kind lists must name the same kinds.
import { describe, expect, it } from 'vitest';
import schema from '../../../schema/exercise.schema.json';
import { composeExerciseSchema } from '../../../src/spec/exercise-schema';
import { CHECK_KINDS, STEP_KINDS } from '../../../src/spec/types';

const definitions = schema.definitions as Record<string, { properties?: Record<string, unknown> }>;

describe('schema and types agree', () => {
  it('on the step kinds', () => {
    expect(Object.keys(definitions.step?.properties ?? {}).sort()).toEqual([...STEP_KINDS].sort());
  });

  it('on the check kinds', () => {
    const common = ['name', 'points', 'hint', 'required', 'partial', 'visibility', 'steps', 'expect'];
    const kinds = Object.keys(definitions.check?.properties ?? {}).filter((key) => !common.includes(key));
    expect(kinds.sort()).toEqual([...CHECK_KINDS].sort());
  });
});

describe('the committed schema', () => {
  it('is the one the kinds compose (npm run build writes it)', () => {
    expect(composeExerciseSchema()).toEqual(schema);
  });
});
