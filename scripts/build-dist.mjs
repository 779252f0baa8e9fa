// Bundles the action (dist/index.js) and the CLI (dist/cli/index.js) with ncc. Each entry is
// built into its own fresh folder, so nothing stale survives in dist/. The exercise validator is
// generated first (scripts/build-validator.mjs), so the bundles hold the schema as compiled code.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ncc from '@vercel/ncc';

const entries = [
  { source: 'src/index.ts', out: 'dist' },
  { source: 'src/cli.ts', out: 'dist/cli' },
];

/**
 * dockerode loads gRPC and protobuf at its start for BuildKit sessions (lib/session.js), which
 * the grader never opens: it builds with the classic builder. They are left out of the bundles,
 * and this stands in for them, failing loudly should a session ever be opened.
 */
const NO_GRPC = `// Stands in for @grpc/* in this bundle (scripts/build-dist.mjs): BuildKit sessions are not used.
'use strict';
module.exports = new Proxy({}, {
  get(_target, key) {
    if (typeof key === 'symbol' || key === '__esModule' || key === 'then') return undefined;
    throw new Error('BuildKit sessions are not supported by docker-autograder (gRPC is not bundled)');
  },
});
`;
const externals = { '@grpc/grpc-js': './no-grpc.js', '@grpc/proto-loader': './no-grpc.js' };

execFileSync(process.execPath, ['scripts/build-validator.mjs'], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
for (const { source, out } of entries) {
  mkdirSync(out, { recursive: true });
  const { code, assets } = await ncc(path.resolve(source), {
    externals,
    license: 'licenses.txt',
    quiet: true,
    target: 'es2022',
  });
  writeFileSync(path.join(out, 'index.js'), code);
  // The CLI is run as a program (package.json "bin"), as the ncc command line would leave it.
  if (code.startsWith('#!')) chmodSync(path.join(out, 'index.js'), 0o755);
  for (const [name, asset] of Object.entries(assets)) {
    const file = path.join(out, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, asset.source);
    if (asset.permissions) chmodSync(file, asset.permissions);
  }
  writeFileSync(path.join(out, 'no-grpc.js'), NO_GRPC);
}
