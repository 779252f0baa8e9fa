// Generates schema/exercise.schema.json: the common parts (schema/exercise.base.json) and each
// kind's part from its definition, composed by src/spec/exercise-schema.ts. The TypeScript is
// bundled with ncc (as for dist/) into a temporary file and run. Run by `npm run build` before
// scripts/build-validator.mjs; the result is committed, and checked for freshness by .ci/run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ncc from '@vercel/ncc';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'schema/exercise.schema.json');
const { code } = await ncc(path.join(root, 'src/spec/exercise-schema.ts'), {
  quiet: true,
  target: 'es2022',
  // tsc checks the types (npm run typecheck); here only the code is wanted.
  transpileOnly: true,
});
const dir = mkdtempSync(path.join(tmpdir(), 'build-schema-'));
try {
  const bundle = path.join(dir, 'exercise-schema.cjs');
  writeFileSync(bundle, code);
  const { composeExerciseSchema } = createRequire(import.meta.url)(bundle);
  writeFileSync(out, `${JSON.stringify(composeExerciseSchema(), null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// The committed file is formatted as the linter wants it (short lists on one line).
execFileSync(path.join(root, 'node_modules/.bin/biome'), ['format', '--write', out], { stdio: 'ignore' });
