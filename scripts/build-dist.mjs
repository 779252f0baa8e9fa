// Bundles the action (dist/index.js) and the CLI (dist/cli/index.js) with ncc. Each entry is
// built into its own fresh folder, so nothing stale survives in dist/. The exercise schema and its
// validator are generated first (scripts/build-schema.mjs, then scripts/build-validator.mjs), so
// the bundles hold the schema as compiled code.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ncc from '@vercel/ncc';

const entries = [
  { source: 'src/action/index.ts', out: 'dist' },
  // The CLI's bundle is grader.js behind a small loader (index.js) that keeps its compiled code.
  { source: 'src/cli/index.ts', out: 'dist/cli', bundle: 'grader.js' },
];

/**
 * Compiling the 3 MB bundle's functions is most of the CLI's start (issue 9: 150 ms to the
 * first engine call). Node 22.1+ keeps compiled code itself (module.enableCompileCache, in the
 * OS temp folder). Older nodes get V8's code cache by hand: compiled after the run (so the
 * functions the run used are in it), kept in the user's own cache folder (not dist/, which is
 * committed, nor a shared temp folder, where another user could plant code), keyed by node's
 * version and the bundle's size and time. A rejected or missing cache only costs a compile.
 */
const CLI_LOADER = `#!/usr/bin/env node
// Loads grader.js with compiled code kept between runs (scripts/build-dist.mjs explains why).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const bundle = path.join(__dirname, 'grader.js');
const nodeModule = require('node:module');
const noCache = Boolean(process.env.DOCKER_AUTOGRADER_NO_CODE_CACHE);
if (typeof nodeModule.enableCompileCache === 'function' || noCache) {
  if (!noCache) nodeModule.enableCompileCache?.();
  require(bundle);
} else {
  const vm = require('node:vm');
  const os = require('node:os');
  const stat = fs.statSync(bundle);
  const home = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(home, 'docker-autograder', 'code-cache');
  // One per command: the cache holds what the first run compiled, and grade compiles far more than schema.
  const command = /^[a-z]{1,20}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
  const file = path.join(dir, \`\${process.version}-\${process.arch}-\${stat.size}-\${Math.floor(stat.mtimeMs)}-\${command}.bin\`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(file);
  } catch {}
  const source = fs.readFileSync(bundle, 'utf8');
  const script = new vm.Script(nodeModule.wrap(source.replace(/^#!.*/, '')), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const partial = \`\${file}.\${process.pid}\`;
        fs.writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(partial, file);
        // Caches of earlier builds: kept a day, for another install that may still use them.
        for (const name of fs.readdirSync(dir)) {
          const other = path.join(dir, name);
          if (other !== file && Date.now() - fs.statSync(other).mtimeMs > 86400000) fs.rmSync(other, { force: true });
        }
      } catch {}
    });
  }
  script.runInThisContext()(module.exports, require, module, bundle, __dirname);
}
`;

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
/**
 * Libraries that cost the start without being needed by most runs are bundled on their own
 * (<name>/index.js) and stand-ins take their place in the bundles, loading them on first use:
 * - ssh2, which docker-modem loads at its start for ssh:// engines only (25 ms to run, 0.7 MB
 *   to compile); docker-modem uses `new Client()`;
 * - dockerfile-ast, for Dockerfile checks only (12 ms); the checks use DockerfileParser.parse.
 * The exports named here are stand-ins that can be called, constructed or read from before the
 * library loads; any other export loads it when read.
 */
const LAZY_LIBRARIES = { ssh2: ['Client'], 'dockerfile-ast': ['DockerfileParser'] };

function lazyStandIn(name, eagerExports) {
  return `// Loads the separately bundled ${name} on first use (scripts/build-dist.mjs).
'use strict';
let loaded;
const load = () => {
  if (loaded === undefined) loaded = require('./${name}/index.js');
  return loaded;
};
const lazyExport = (key) =>
  new Proxy(function () {}, {
    apply: (_target, self, args) => Reflect.apply(load()[key], self, args),
    construct: (_target, args) => Reflect.construct(load()[key], args),
    get: (_target, property) => {
      const real = load()[key];
      const value = Reflect.get(real, property);
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
const eager = { ${eagerExports.map((key) => `${JSON.stringify(key)}: lazyExport(${JSON.stringify(key)})`).join(', ')} };
module.exports = new Proxy(eager, {
  get(target, key) {
    if (Object.hasOwn(target, key)) return target[key];
    if (key === '__esModule' || key === 'then') return undefined;
    return load()[key];
  },
});
`;
}
const externals = {
  '@grpc/grpc-js': './no-grpc.js',
  '@grpc/proto-loader': './no-grpc.js',
  ...Object.fromEntries(Object.keys(LAZY_LIBRARIES).map((name) => [name, `./lazy-${name}.js`])),
};

/**
 * The licenses.txt of a bundle: every package its modules come from, lazily loaded chunks
 * included, with its license and license file. ncc's own (`license` option) keeps only the
 * packages of the chunk written last once a bundle is split by a dynamic import, which dropped
 * most of the action's list when octokit moved into a chunk.
 */
function licensesOf(stats) {
  const packages = new Map();
  const add = (file) => {
    const at = typeof file === 'string' ? file.lastIndexOf('/node_modules/') : -1;
    if (at < 0) return;
    const [scope = '', name = ''] = file.slice(at + '/node_modules/'.length).split('/');
    const id = scope.startsWith('@') ? `${scope}/${name}` : scope;
    packages.set(id, path.join(file.slice(0, at), 'node_modules', id));
  };
  for (const module of stats.compilation.modules) {
    add(module.resource);
    for (const inner of module.modules ?? []) add(inner.resource);
  }
  return [...packages]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, dir]) => {
      const { license, licenses } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      // The old form, {"licenses": [{"type": "MIT"}]}, is still found (cpu-features).
      const kind =
        typeof license === 'string'
          ? license
          : (Array.isArray(licenses) ? licenses : []).map((entry) => entry?.type ?? '').join(' OR ');
      const file = readdirSync(dir).find((entry) => /^(licen[cs]e|copying)(\.|-|$)/i.test(entry));
      const text = file === undefined ? '' : readFileSync(path.join(dir, file), 'utf8').trim();
      return `${id}\n${kind}\n${text}\n`;
    })
    .join('\n');
}

function writeBundle(out, bundle, { code, assets, stats }) {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, bundle), code);
  writeFileSync(path.join(out, 'licenses.txt'), licensesOf(stats));
  for (const [name, asset] of Object.entries(assets)) {
    const file = path.join(out, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, asset.source);
    if (asset.permissions) chmodSync(file, asset.permissions);
  }
}

const nccOptions = { quiet: true, target: 'es2022' };
execFileSync(process.execPath, ['scripts/build-schema.mjs'], { stdio: 'inherit' });
execFileSync(process.execPath, ['scripts/build-validator.mjs'], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
const require = createRequire(import.meta.url);
const lazyBundles = {};
for (const name of Object.keys(LAZY_LIBRARIES))
  lazyBundles[name] = await ncc(require.resolve(name), nccOptions);
for (const { source, out, bundle = 'index.js' } of entries) {
  const built = await ncc(path.resolve(source), { ...nccOptions, externals });
  const { code } = built;
  writeBundle(out, bundle, built);
  if (bundle !== 'index.js') writeFileSync(path.join(out, 'index.js'), CLI_LOADER);
  // The CLI is run as a program (package.json "bin"), as the ncc command line would leave it.
  if (code.startsWith('#!')) chmodSync(path.join(out, 'index.js'), 0o755);
  writeFileSync(path.join(out, 'no-grpc.js'), NO_GRPC);
  for (const [name, eagerExports] of Object.entries(LAZY_LIBRARIES)) {
    writeFileSync(path.join(out, `lazy-${name}.js`), lazyStandIn(name, eagerExports));
    writeBundle(path.join(out, name), 'index.js', lazyBundles[name]);
  }
}
