// Composes the exercise's JSON Schema: the common parts, written by hand in
// schema/exercise.base.json, and each kind's part from its definition. scripts/build-schema.mjs
// writes the result to schema/exercise.schema.json (published, read by editors; committed, and
// checked for freshness by .ci/run), from which scripts/build-validator.mjs compiles the
// validator. A test composes it from a toy kind the same way.
import base from '../../schema/exercise.base.json';
import { type JsonSchema, ref } from './json-schema';
import { EXERCISE_LANGUAGE, type ExerciseLanguage } from './language';

type Definitions = Record<string, JsonSchema>;

/** A check kind's definitions are named after its key without dashes: build-cache → buildcacheCheck. */
function definitionName(kind: string, part: 'Check' | 'Expect'): string {
  return `${kind.replace(/-/g, '')}${part}`;
}

/** JSON Schema's if/then: what a check with this kind's key must also be. */
function whenKind(kind: string, then: JsonSchema): JsonSchema {
  return { if: { required: [kind] }, then };
}

/** The check kinds' definitions, and the `check` definition that names them. */
function checkDefinitions(language: ExerciseLanguage, common: JsonSchema): Definitions {
  const kinds: Definitions = {};
  const targets: Definitions = {};
  const expects: JsonSchema[] = [];
  for (const { kind, schema } of language.checks) {
    kinds[definitionName(kind, 'Check')] = schema.target;
    targets[kind] = ref(definitionName(kind, 'Check'));
    const expectName = definitionName(kind, 'Expect');
    if (schema.expect === undefined) {
      expects.push(whenKind(kind, { not: { required: ['expect'] } }));
    } else {
      kinds[expectName] = schema.expect;
      expects.push(
        whenKind(kind, {
          required: ['expect'],
          properties: { expect: ref(expectName) },
        }),
      );
    }
  }
  const properties = common.properties as JsonSchema;
  return { ...kinds, check: { ...common, properties: { ...properties, ...targets }, allOf: expects } };
}

/** The step kinds' definitions (`<kind>Step`), and the `step` definition that names them. */
function stepDefinitions(language: ExerciseLanguage, common: JsonSchema): Definitions {
  const kinds: Definitions = {};
  const bodies: Definitions = {};
  for (const { kind, schema } of language.steps) {
    kinds[`${kind}Step`] = schema;
    bodies[kind] = ref(`${kind}Step`);
  }
  return { ...kinds, step: { ...common, properties: bodies } };
}

/** The `wait` definition: each condition's property, then the common ones (timeout). */
function waitDefinition(language: ExerciseLanguage, common: JsonSchema): JsonSchema {
  const conditions = Object.fromEntries(language.waits.map(({ key, schema }) => [key, schema]));
  return { ...common, properties: { ...conditions, ...(common.properties as JsonSchema) } };
}

export function composeExerciseSchema(language: ExerciseLanguage = EXERCISE_LANGUAGE): JsonSchema {
  const { $comment: _, definitions, ...top } = base as unknown as JsonSchema & { definitions: Definitions };
  const composed: Definitions = {};
  for (const [name, definition] of Object.entries(definitions)) {
    // The kinds' own definitions come just before the one that lists them.
    if (name === 'check') Object.assign(composed, checkDefinitions(language, definition));
    else if (name === 'wait') composed[name] = waitDefinition(language, definition);
    else if (name === 'step') Object.assign(composed, stepDefinitions(language, definition));
    else composed[name] = definition;
  }
  return { ...top, definitions: composed };
}
