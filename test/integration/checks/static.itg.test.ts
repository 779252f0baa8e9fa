// The build-cache check on the real engine (classic builder), through grade(): a Dockerfile
// ordered for the cache keeps its install step cached when only the app changes; one that
// copies everything first rebuilds it. Busybox-based, offline. Everything is labelled with
// this file's run id and must be gone at the end.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { displayPath } from '../../../src/checks/student-file';
import { DockerEngine } from '../../../src/engine/docker-engine';
import { grade } from '../../../src/grading/grade';
import { RUN_LABEL } from '../../../src/naming/labels';
import type { ExerciseResult } from '../../../src/report/model';
import { parseExercise } from '../../../src/spec/load';
import { labelled, tempDir } from '../../support/integration';

const runId = `itg-static-${Date.now()}`;
const engine = new DockerEngine({ runId });
const root = tempDir('itg-static');

const GOOD = `FROM busybox:latest
WORKDIR /app
COPY deps.txt .
RUN cat deps.txt > installed.txt
COPY . .
CMD ["cat", "app.txt"]
`;

const BAD = `FROM busybox:latest
WORKDIR /app
COPY . .
RUN cat deps.txt > installed.txt
CMD ["cat", "app.txt"]
`;

function submission(name: string, dockerfile: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  writeFileSync(path.join(dir, 'deps.txt'), `flask\n${runId}\n`);
  // Unique per run, so that no layer another run left behind can answer for this one.
  writeFileSync(path.join(dir, 'app.txt'), `hello ${runId}\n`);
  return name;
}

function exercise(id: string, folder: string) {
  const spec = `version: 1
id: ${id}
title: Build cache
submission: ${folder}
steps:
  - build: { name: app }
checks:
  - name: only the app is rebuilt when it changes
    points: 2
    build-cache: { build: app, change: app.txt }
    expect:
      cached: { includes: ['COPY deps.txt .', 'RUN cat deps.txt > installed.txt'] }
      rebuilt: { not: { includes: 'RUN cat deps.txt > installed.txt' } }
  - name: the image is still the student's
    image: { name: app }
    expect: { cmd: [cat, app.txt] }
`;
  return parseExercise(spec, `${id}/exercise.yaml`);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

afterAll(async () => {
  await engine.removeResources({ runId });
  rmSync(root, { recursive: true, force: true });
});

describe('build-cache check', () => {
  let results: ExerciseResult[] = [];

  it('grades a cache-friendly and a cache-hostile Dockerfile', async () => {
    const good = submission('good', GOOD);
    const bad = submission('bad', BAD);
    const before = sha256(path.join(root, good, 'app.txt'));
    const report = await grade([exercise('cache/good', good), exercise('cache/bad', bad)], {
      engine,
      submissionRoot: root,
    });
    results = report.exercises;
    // The student's file was never touched: the change went to a copy.
    expect(sha256(path.join(root, good, 'app.txt'))).toBe(before);
    expect(results.map((result) => result.setupError)).toEqual([undefined, undefined]);
  });

  it('passes when the install step stays cached', () => {
    const [cache, image] = results[0]?.checks ?? [];
    expect(cache).toMatchObject({ status: 'pass', points: 2 });
    // Later checks see the image the build step made, not the rebuild.
    expect(image).toMatchObject({ status: 'pass' });
  });

  it('fails with expected vs actual, at the first rebuilt line, when everything is copied first', () => {
    const cache = results[1]?.checks[0];
    expect(cache).toMatchObject({ status: 'fail', points: 0, maxPoints: 2 });
    expect(cache?.message).toBe('cached, rebuilt not as expected');
    expect(cache?.expected).toBe(
      [
        'cached: includes ["COPY deps.txt .","RUN cat deps.txt > installed.txt"]',
        'rebuilt: not (includes "RUN cat deps.txt > installed.txt")',
      ].join('\n'),
    );
    expect(cache?.actual).toBe(
      [
        'cached: ["WORKDIR /app"]',
        'rebuilt: ["COPY . .","RUN cat deps.txt > installed.txt","CMD [\\"cat\\", \\"app.txt\\"]"]',
      ].join('\n'),
    );
    expect(cache?.location).toEqual({
      file: displayPath(path.join(root, 'bad', 'Dockerfile')),
      line: 3,
      column: 1,
    });
  });

  it('fails when the build step did not build the image', async () => {
    const folder = submission('broken', 'FROM busybox:latest\nRUN false\n');
    const report = await grade([exercise('cache/broken', folder)], { engine, submissionRoot: root });
    const cache = report.exercises[0]?.checks[0];
    expect(report.exercises[0]?.setupError).toMatch(/did not build/);
    // The check is attributed to the failed build (src/run/attribution.ts), as every check that
    // depends on a failed step is: it points the student at the setup error, which carries the
    // build's own first error line, instead of a second message about the same cause.
    expect(cache).toMatchObject({ status: 'fail', points: 0, causedBySetup: true });
    expect(cache?.message).toMatch(/^not checked: the setup step "build image "app".*see the setup error/);
    expect(cache?.hint).toBeUndefined();
  });

  it('leaves nothing labelled behind', async () => {
    expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  });
});
