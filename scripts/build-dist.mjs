// Bundles the action (dist/index.js) and the CLI (dist/cli/index.js) with ncc. Each entry is
// built into its own fresh folder, so nothing stale survives in dist/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

const entries = [
  { source: 'src/index.ts', out: 'dist' },
  { source: 'src/cli.ts', out: 'dist/cli' },
];

rmSync('dist', { recursive: true, force: true });
for (const { source, out } of entries) {
  mkdirSync(out, { recursive: true });
  execFileSync(
    'npx',
    ['ncc', 'build', source, '-o', out, '--license', 'licenses.txt', '--quiet', '--target', 'es2022'],
    {
      stdio: 'inherit',
    },
  );
}
