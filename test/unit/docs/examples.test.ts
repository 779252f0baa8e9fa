// Every YAML example in docs/exercise-language.md must validate, so the docs cannot drift
// from the schema and the semantic rules.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../../src/shared/errors';
import { parseExercise } from '../../../src/spec/load';
import { CHECK_KINDS, STEP_KINDS } from '../../../src/spec/types';

const DOC = path.resolve(__dirname, '../../../docs/exercise-language.md');

function yamlBlocks(markdown: string): Array<{ line: number; text: string }> {
  const blocks: Array<{ line: number; text: string }> = [];
  const pattern = /^```yaml\n([\s\S]*?)^```$/gm;
  for (let match = pattern.exec(markdown); match; match = pattern.exec(markdown)) {
    blocks.push({ line: markdown.slice(0, match.index).split('\n').length, text: match[1] ?? '' });
  }
  return blocks;
}

/** Examples may omit the header; a full exercise keeps its own. */
function asExercise(text: string, line: number): string {
  return /^version:/m.test(text)
    ? text
    : `version: 1\nid: docs/line-${line}\ntitle: Example at line ${line}\n${text}`;
}

describe('docs/exercise-language.md', () => {
  const blocks = yamlBlocks(readFileSync(DOC, 'utf8'));

  it('has an example for every step and check kind', () => {
    const steps = new Set<string>();
    const checks = new Set<string>();
    for (const { line, text } of blocks) {
      const { spec } = parseExercise(asExercise(text, line), DOC);
      const allSteps = [...(spec.steps ?? []), ...spec.checks.flatMap((check) => check.steps ?? [])];
      for (const step of allSteps) steps.add(Object.keys(step)[0] ?? '');
      for (const check of spec.checks) {
        for (const kind of CHECK_KINDS) if (check[kind] !== undefined) checks.add(kind);
      }
    }
    expect([...steps].sort()).toEqual([...STEP_KINDS].sort());
    expect([...checks].sort()).toEqual([...CHECK_KINDS].sort());
  });

  it.each(blocks.map((block) => [block.line, block.text] as const))(
    'example at line %i validates',
    (line, text) => {
      try {
        parseExercise(asExercise(text, line), `${DOC}:${line}`);
      } catch (error) {
        if (error instanceof SpecError) expect.fail(error.message);
        throw error;
      }
    },
  );
});
