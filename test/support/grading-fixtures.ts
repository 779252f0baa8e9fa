// An exercise and a submission for the unit tests of grade() on a FakeEngine: a build, a run, an
// image check and an exec check (5 points), and a folder holding the Dockerfile it builds.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The grader's own build and run, an image check and an exec check: what every engine can grade. */
export const BUILD_AND_RUN = `version: 1
id: demo/one
title: Demo
steps:
  - build: { name: app }
  - run: { name: web, image: app }
checks:
  - name: workdir
    points: 2
    image: { name: app }
    expect: { workdir: /app }
  - name: says hello
    points: 3
    hint: echo hello
    exec: { container: web, command: [cat, /greeting] }
    expect: { stdout: hello, exitCode: 0 }
`;

/** A fresh submission folder with a Dockerfile, and `files` (relative path: content). */
export function submissionWithDockerfile(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'grade-test-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\n');
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}
