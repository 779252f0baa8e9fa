// The measure of "each kind describes itself": a toy check kind (test/fixtures/toy-kind/), added
// to the language the way the registry adds the real ones, is validated by the composed schema
// and semantic rules, scheduled by its own readOnly, and observed and evaluated on a fake
// engine, with nothing else changed.
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AnyCheckDefinition } from '../../../src/checks/check';
import { evaluate } from '../../../src/checks/evaluate';
import { imageCheck } from '../../../src/checks/kinds/image';
import { CHECK_DEFINITIONS, composeChecks } from '../../../src/checks/registry';
import { planChecks } from '../../../src/checks/schedule';
import { composeExerciseSchema } from '../../../src/spec/exercise-schema';
import { EXERCISE_LANGUAGE, type ExerciseLanguage } from '../../../src/spec/language';
import { semanticProblems } from '../../../src/spec/semantics';
import type { CheckSpec, ExerciseSpec } from '../../../src/spec/types';
import { lastLineCheck } from '../../fixtures/toy-kind/last-line';
import { contextOn, RecordingEngine } from '../../support/unit-checks';

// The toy kind's one registry line.
const WITH_TOY: ExerciseLanguage = { ...EXERCISE_LANGUAGE, checks: [...CHECK_DEFINITIONS, lastLineCheck] };

const SPEC = `
version: 1
id: toy/last-line
title: The last line
steps:
  - run: { name: job, image: busybox, command: [echo, done] }
checks:
  - name: says done last
    last-line: { container: job, skip: '^debug' }
    expect: { line: done }
  - name: the image is busybox
    image: { name: busybox }
    expect: { exists: true }
  - name: says done last, again
    last-line: { container: job }
    expect: { line: { matches: '^do' } }
`;

/** The spec as the schema composed for `language` sees it (ajv with load.ts's options). */
function schemaErrors(language: ExerciseLanguage, data: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  const validate = ajv.compile(composeExerciseSchema(language));
  return validate(data)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

function toySpec(): ExerciseSpec {
  return parse(SPEC) as ExerciseSpec;
}

describe('a toy check kind, added by its definition alone', () => {
  it('is in the composed schema: its target and its expect are checked', () => {
    expect(schemaErrors(WITH_TOY, toySpec())).toEqual([]);
    // Without its registry line, the language does not know the key.
    expect(schemaErrors(EXERCISE_LANGUAGE, toySpec())).toContain(
      '/checks/0 must NOT have additional properties',
    );
    const wrong = toySpec();
    const first = wrong.checks[0] as CheckSpec & Record<string, unknown>;
    first.expect = { lines: 'done' };
    first['last-line'] = { container: 'job', tail: 3 };
    expect(schemaErrors(WITH_TOY, wrong)).toEqual(
      expect.arrayContaining([
        '/checks/0/last-line must NOT have additional properties',
        '/checks/0/expect must NOT have additional properties',
      ]),
    );
  });

  it('gets the semantic rules: its container reference and its own validate', () => {
    expect(semanticProblems(toySpec(), WITH_TOY)).toEqual([]);
    const wrong = toySpec();
    (wrong.checks[0] as Record<string, unknown>)['last-line'] = { container: 'nobody', skip: '(' };
    expect(semanticProblems(wrong, WITH_TOY)).toEqual([
      {
        specPath: ['checks', 0, 'last-line', 'container'],
        message: 'no run step is named "nobody" (run steps: job)',
      },
      {
        specPath: ['checks', 0, 'last-line', 'skip'],
        message: expect.stringMatching(/^invalid regular expression: /),
      },
    ]);
    const none = toySpec();
    delete (none.checks[0] as Record<string, unknown>)['last-line'];
    expect(semanticProblems(none, WITH_TOY)[0]?.message).toBe(
      `check "says done last" needs one of: ${[...CHECK_DEFINITIONS.map(({ kind }) => kind), 'last-line'].join(', ')}`,
    );
  });

  it('is scheduled by its readOnly: read-only checks run together', () => {
    const checks = toySpec().checks;
    expect(planChecks(checks, composeChecks(WITH_TOY.checks))).toEqual([
      { kind: 'together', indices: [0, 1, 2] },
    ]);
    const writing: AnyCheckDefinition = { ...lastLineCheck, readOnly: false };
    expect(planChecks(checks, composeChecks([imageCheck, writing]))).toEqual([
      { kind: 'alone', index: 0 },
      { kind: 'alone', index: 1 },
      { kind: 'alone', index: 2 },
    ]);
  });

  it('observes on the engine, and its facts are evaluated against expect', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    const id = await engine.runStep(context, 'job');
    engine.logsById.set(id, { stdout: 'working\ndone\ndebug: bye\n', stderr: '', truncated: false });
    const checks = composeChecks(WITH_TOY.checks);
    const [skipping, plain] = [toySpec().checks[0], toySpec().checks[2]] as CheckSpec[];
    if (skipping === undefined || plain === undefined) throw new Error('the spec has three checks');

    expect(checks.kindOf(skipping)).toBe('last-line');
    const observed = await checks.observe(skipping, context);
    expect(observed).toEqual({ facts: { line: 'done' } });
    expect(evaluate(skipping, observed)).toMatchObject({ status: 'pass', points: 1 });

    const unskipped = await checks.observe(plain, context);
    expect(unskipped).toEqual({ facts: { line: 'debug: bye' } });
    expect(evaluate(plain, unskipped)).toMatchObject({ status: 'fail', points: 0 });
  });
});
