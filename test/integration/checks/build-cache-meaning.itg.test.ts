// The meaning-level Dockerfile checks on the real engine (classic builder), through grade():
// the spellings that used to lose points (python3 -m pip, COPY ./x /abs/x, WORKDIR /app/,
// COPY --chown=nobody:nogroup --from=0) pass the order, the build cache and the image checks,
// and a pip install after COPY . . fails them, saying why; the install in the build stage of a
// multi-stage build comes from the cache too. Everything is labelled with this file's run id
// and must be gone at the end.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine';
import { grade } from '../../../src/grading/grade';
import { RUN_LABEL } from '../../../src/naming/labels';
import type { ExerciseResult } from '../../../src/report/model';
import { parseExercise } from '../../../src/spec/load';
import { labelled, tempDir } from '../../support/integration';

const runId = `itg-meaning-${Date.now()}`;
const engine = new DockerEngine({ runId });
const root = tempDir('itg-meaning');

/**
 * Right after FROM, so that no layer of another run (whose builder may discard it at any time)
 * answers for this one's.
 */
const UNIQUE = `LABEL org.example.test-run=${runId}`;

const SPELLINGS = `FROM python:3.11-slim
${UNIQUE}
WORKDIR /app/
COPY ./requirements.txt /app/requirements.txt
RUN python3 -m pip install -r requirements.txt
COPY . .
CMD ["python3", "app.py"]
`;

const MULTI_STAGE = `FROM python:3.11-slim AS builder
${UNIQUE}
WORKDIR /code
COPY ./requirements.txt /code/requirements.txt
RUN pip3 install --no-cache-dir -r /code/requirements.txt
COPY . .
FROM busybox:latest
COPY --chown=nobody:nogroup --from=0 /code/app.py /www/app.py
USER nobody
CMD ["cat", "/www/app.py"]
`;

const INSTALL_AFTER_CODE = `FROM python:3.11-slim
${UNIQUE}
WORKDIR /app
COPY . .
RUN python3 -m pip install -r requirements.txt
CMD ["python3", "app.py"]
`;

function submission(name: string, dockerfile: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  // flask is preinstalled in the offline python image, so pip answers "already satisfied".
  writeFileSync(path.join(dir, 'requirements.txt'), `flask\n# ${runId}\n`);
  writeFileSync(path.join(dir, 'app.py'), `print("hello ${runId}")\n`);
  return name;
}

const ORDER = `sequence:
        - copies: requirements.txt
        - { installs: pip, requirements: requirements.txt }
        - copies: app.py`;

function exercise(id: string, folder: string, checks: string) {
  const spec = `version: 1
id: ${id}
title: Dockerfile by meaning
submission: ${folder}
steps:
  - build: { name: app, timeout: 3m }
checks:
${checks}`;
  return parseExercise(spec, `${id}/exercise.yaml`);
}

const SINGLE_STAGE_CHECKS = `  - name: dependencies before code
    dockerfile: {}
    expect:
      ${ORDER}
  - name: changing app.py keeps the install cached
    build-cache: { build: app, change: app.py }
    expect:
      fromCache: [{ installs: pip, requirements: requirements.txt }]
      ranAgain: [{ copies: app.py }]
  - name: the working directory is /app
    image: { name: app }
    expect: { workdir: /app }
`;

const MULTI_STAGE_CHECKS = `  - name: the runtime stage copies from the build stage
    dockerfile: {}
    expect:
      sequence: [{ copiesFrom: builder, copies: /code/app.py }]
  - name: the build stage installs before it copies the code
    dockerfile: {}
    expect:
      sequence: { stage: builder, steps: [{ workdir: /code }, { copies: requirements.txt }, { installs: pip }, { copies: app.py }] }
  - name: changing app.py keeps the install of the build stage cached
    build-cache: { build: app, change: app.py }
    expect:
      fromCache: [{ copies: requirements.txt }, { installs: pip, requirements: requirements.txt }]
      ranAgain: [{ copies: app.py }, { copiesFrom: builder }]
`;

let results: ExerciseResult[] = [];

beforeAll(async () => {
  const report = await grade(
    [
      exercise('meaning/spellings', submission('spellings', SPELLINGS), SINGLE_STAGE_CHECKS),
      exercise('meaning/multi-stage', submission('multi-stage', MULTI_STAGE), MULTI_STAGE_CHECKS),
      exercise('meaning/install-after-code', submission('after', INSTALL_AFTER_CODE), SINGLE_STAGE_CHECKS),
    ],
    { engine, submissionRoot: root },
  );
  results = report.exercises;
}, 600_000);

afterAll(async () => {
  await engine.removeResources({ runId });
  rmSync(root, { recursive: true, force: true });
});

describe('Dockerfile checks by meaning, on the real engine', () => {
  it('built every image', () => {
    expect(results.map((result) => result.setupError)).toEqual([undefined, undefined, undefined]);
  });

  it('gives python3 -m pip, COPY ./x /abs/x and WORKDIR /app/ full marks', () => {
    const checks = results[0]?.checks ?? [];
    expect(checks.map((check) => [check.name, check.status, check.message])).toEqual([
      ['dependencies before code', 'pass', 'passed'],
      ['changing app.py keeps the install cached', 'pass', 'passed'],
      ['the working directory is /app', 'pass', 'passed'],
    ]);
  });

  it('gives COPY --chown=nobody:nogroup --from=0 full marks as a copy from the builder stage', () => {
    const checks = results[1]?.checks ?? [];
    expect(checks.map((check) => [check.name, check.status, check.actual])).toEqual([
      ['the runtime stage copies from the build stage', 'pass', undefined],
      ['the build stage installs before it copies the code', 'pass', undefined],
      ['changing app.py keeps the install of the build stage cached', 'pass', undefined],
    ]);
  });

  it('fails a pip install after COPY . ., in the order and in the cache, saying why', () => {
    const [order, cache, workdir] = results[2]?.checks ?? [];
    expect(order).toMatchObject({
      status: 'fail',
      actual:
        'first copies app.py at line 4: COPY . ., before installs with pip from requirements.txt at line 5: RUN python3 -m pip install -r requirements.txt',
    });
    expect(cache).toMatchObject({
      status: 'fail',
      message: 'fromCache not as expected',
      expected: 'from the cache: installs with pip from requirements.txt',
      actual: 'line 5: RUN python3 -m pip install -r requirements.txt ran again',
      location: { line: 4 },
    });
    expect(workdir).toMatchObject({ status: 'pass' });
  });

  it('leaves nothing labelled behind', async () => {
    await engine.removeResources({ runId });
    expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  });
});
