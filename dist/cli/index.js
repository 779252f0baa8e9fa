#!/usr/bin/env node
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
  const file = path.join(dir, `${process.version}-${process.arch}-${stat.size}-${Math.floor(stat.mtimeMs)}-${command}.bin`);
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
        const partial = `${file}.${process.pid}`;
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
