// Several exercises graded at once on the real engine: each in its own scope, results and
// progress lines in the exercises' order, nothing left behind.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import { grade } from '../../../src/grading/grade';
import {
  leftovers,
  parseWithForeignContainers,
  removeEverything,
  uniqueRunId,
} from '../../support/inline-grading';
import { tempDir } from '../../support/integration';

const runId = uniqueRunId('concurrency');

const spec = (index: number) => `version: 1
id: test/concurrent-${index}
title: Concurrent ${index}
steps:
  - run: { name: box, image: busybox, command: sleep 600 }
checks:
  - name: echo ${index}
    exec: { container: box, command: [echo, "${index}"] }
    expect: { stdout: "${index}" }
  - name: hostname differs
    exec: { container: box, command: [sh, -c, "echo ${index} > /tmp/mine; cat /tmp/mine"] }
    expect: { stdout: "${index}" }
`;

afterAll(async () => {
  await removeEverything(runId);
  expect(await leftovers(runId)).toEqual([]);
}, 120_000);

describe('grade with concurrency', () => {
  it('grades exercises at once and reports them, and their lines, in order', async () => {
    const exercises = [1, 2, 3, 4].map((index) => parseWithForeignContainers(spec(index)));
    const log: string[] = [];
    const report = await grade(exercises, {
      engine: createDockerEngine(runId),
      submissionRoot: tempDir('itg-concurrency'),
      concurrency: 3,
      progress: { info: (line) => log.push(line), output: () => {} },
    });
    expect(report.exercises.map((result) => [result.id, result.score, result.maxScore])).toEqual([
      ['test/concurrent-1', 2, 2],
      ['test/concurrent-2', 2, 2],
      ['test/concurrent-3', 2, 2],
      ['test/concurrent-4', 2, 2],
    ]);
    // Each exercise's lines are together, from its ▶ line to its score line, in order.
    const starts = log.flatMap((line, at) => (line.startsWith('▶') ? [at] : []));
    expect(starts.map((at) => log[at])).toEqual(
      [1, 2, 3, 4].map((index) => `▶ test/concurrent-${index}: Concurrent ${index}`),
    );
    for (const [position, at] of starts.entries()) {
      const end = starts[position + 1] ?? log.length;
      expect(
        log.slice(at, end).filter((line) => line.includes('test/concurrent-') && !line.startsWith('▶')),
      ).toEqual([expect.stringMatching(new RegExp(`^  test/concurrent-${position + 1}: 2/2 \\(pass\\)`))]);
    }
    expect(await leftovers(runId)).toEqual([]);
  }, 180_000);
});

describe('grade with concurrency and identical builds', () => {
  it('builds the same Dockerfile in every exercise without one removing what another builds on', async () => {
    const submission = tempDir('itg-concurrency-build');
    writeFileSync(
      path.join(submission, 'Dockerfile'),
      'FROM busybox\nRUN echo layer > /layer\nCMD ["sleep", "600"]\n',
    );
    const exercises = [1, 2, 3, 4].map((index) =>
      parseWithForeignContainers(`version: 1
id: test/concurrent-build-${index}
title: Concurrent build ${index}
steps:
  - build: { name: app }
  - run: { name: box, image: app }
checks:
  - name: the layer is there
    exec: { container: box, command: [cat, /layer] }
    expect: { stdout: layer }
`),
    );
    const report = await grade(exercises, {
      engine: createDockerEngine(runId),
      submissionRoot: submission,
      concurrency: 4,
    });
    expect(report.exercises.map((result) => [result.id, result.setupError, result.score])).toEqual(
      [1, 2, 3, 4].map((index) => [`test/concurrent-build-${index}`, undefined, 1]),
    );
  }, 300_000);
});
