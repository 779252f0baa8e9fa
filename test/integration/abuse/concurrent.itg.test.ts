// Two gradings of the same exercises at once on one engine, through grade(): the reference
// solutions of containers/run-nginx (a fixed name, my-nginx, and a fixed host port, 18080) and
// networking/isolated-networks (fixed container and network names, host port 18090), each
// graded twice at the same time. Names are scoped per run and host ports are ephemeral, so
// every grading gets full marks; then nothing labelled with their runs is left.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import { grade } from '../../../src/grading/grade';
import { loadExercise } from '../../../src/spec/load';
import { leftovers, uniqueRunId } from '../../support/inline-grading';
import { ROOT } from '../../support/integration';

const runIds: string[] = [];
afterAll(async () => {
  for (const runId of runIds) expect(await leftovers(runId)).toEqual([]);
});

const EXERCISES = ['containers/run-nginx', 'networking/isolated-networks'];

async function gradeReference(id: string) {
  const dir = path.join(ROOT, 'exercises', id);
  const exercise = await loadExercise(path.join(dir, 'exercise.yaml'));
  const runId = uniqueRunId('abk');
  runIds.push(runId);
  const log: string[] = [];
  const report = await grade([exercise], {
    engine: createDockerEngine(runId),
    submissionRoot: path.join(dir, 'solutions/reference'),
    progress: { info: (line) => log.push(line), output: (line) => log.push(`| ${line}`) },
  });
  return { id, report, log };
}

describe('two gradings sharing an engine', () => {
  it('give every reference full marks, each twice at once', async () => {
    const results = await Promise.all([...EXERCISES, ...EXERCISES].map((id) => gradeReference(id)));
    for (const { id, report, log } of results) {
      const failed = report.exercises.flatMap((exercise) =>
        exercise.checks
          .filter((check) => check.status !== 'pass')
          .map((check) => `${check.name}: ${check.message}`),
      );
      const why = `${id}\n${failed.join('\n')}\n${log.slice(-40).join('\n')}`;
      expect(report.exercises[0]?.setupError, why).toBeUndefined();
      expect(report.score, why).toBe(report.maxScore);
      expect(report.maxScore).toBeGreaterThan(0);
    }
  });
});
