// Which build steps came from the cache, read from real build logs of both builders, and the
// build-cache check's facts judged on them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapSteps, parseBuildSteps } from '../../../src/dockerfile/build-steps';
import { CacheFact } from '../../../src/dockerfile/judges';
import { dockerfileMeaning } from '../../../src/dockerfile/meaning';

// Captured from both engines with the same Dockerfile and context by fixtures/build-logs/capture.sh.
// Engine 25 and newer end a step's container with " ---> Removed intermediate container <id>",
// 20.10 with "Removing intermediate container <id>".
describe.each(['classic-20.10', 'classic-26'])('build logs of the classic builder (%s)', (engine) => {
  const fixtures = path.join(__dirname, '../../fixtures', 'build-logs');
  const read = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');
  const meaning = dockerfileMeaning(read('classic.Dockerfile'));
  const mapped = (log: string) =>
    mapSteps(parseBuildSteps(log.split('\n')), meaning.stages, meaning.instructions);

  it('maps every step to its instruction, without the LABEL steps the engine adds', () => {
    const steps = mapped(read(`${engine}-first.txt`));
    expect(steps.map((step) => step.source?.line)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(steps.every((step) => !step.cached)).toBe(true);
  });

  it('tells cache hits from steps that ran again', () => {
    const steps = mapped(read(`${engine}-cached.txt`));
    expect(steps.filter((step) => step.cached).map((step) => step.source?.line)).toEqual([2, 3, 4]);
    const counted = steps.filter((step) => step.source?.keyword !== 'FROM');
    const fromCache = new CacheFact(counted, meaning.stages, true);
    const ranAgain = new CacheFact(counted, meaning.stages, false);
    expect(
      fromCache.compareWith([
        { installs: 'pip', requirements: 'requirements.txt' },
        { copies: 'requirements.txt' },
      ]).pass,
    ).toBe(true);
    expect(ranAgain.compareWith([{ copies: 'app.py' }, { copiesFrom: 0 }])).toMatchObject({
      pass: true,
      actual: 'line 6: COPY . .; line 8: COPY --chown=nobody:nogroup --from=0 /app/app.py /www/ ran again',
    });
    expect(fromCache.compareWith([{ copies: 'app.py' }])).toMatchObject({
      pass: false,
      actual: 'line 6: COPY . . ran again',
    });
    expect(ranAgain.compareWith([{ installs: 'pip' }])).toMatchObject({
      pass: false,
      actual: 'line 4: RUN python3 -m pip install --no-cache-dir -r requirements.txt came from the cache',
    });
  });

  it('reads the steps after a RUN that printed to stderr', () => {
    // The RUN of line 4 prints a pip warning in colour codes; every later step is still read.
    const steps = parseBuildSteps(read(`${engine}-first.txt`).split('\n'));
    expect(steps.map((step) => step.instruction)).toEqual(
      meaning.instructions.map((instruction) => instruction.text),
    );
  });
});

describe('build logs of BuildKit (plain progress, as documented)', () => {
  // BuildKit is not enabled on the test engine; this log follows `docker build --progress=plain`.
  const log = [
    '#1 [internal] load build definition from Dockerfile',
    '#1 DONE 0.0s',
    '#5 [builder 1/3] FROM docker.io/library/python:3.11-slim',
    '#5 DONE 0.0s',
    '#6 [builder 2/3] COPY requirements.txt .',
    '#6 CACHED',
    '#7 [builder 3/3] RUN pip install -r requirements.txt',
    '#7 CACHED',
    '#8 [stage-1 2/2] COPY --from=builder /app /app',
    '#8 DONE 0.1s',
  ];
  it('reads CACHED per vertex and maps by stage and place', () => {
    const text =
      'FROM python:3.11-slim AS builder\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nFROM busybox:latest\nCOPY --from=builder /app /app\n';
    const meaning = dockerfileMeaning(text);
    const steps = mapSteps(parseBuildSteps(log), meaning.stages, meaning.instructions);
    expect(steps.map((step) => [step.source?.line, step.cached])).toEqual([
      [1, false],
      [2, true],
      [3, true],
      [5, false],
    ]);
  });
});
