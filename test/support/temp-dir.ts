// A fresh temporary folder for each test of a describe block, removed after the test, for unit
// tests that write files (gradebooks, class reports) and must not see another test's files.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** Registers the folder's making and removal around each test; call the answer for its path. */
export function tempDirPerTest(prefix: string): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error('the temporary folder exists only while a test runs');
    return dir;
  };
}
