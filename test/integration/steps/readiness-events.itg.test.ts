// Waits follow the engine's events and the container's output instead of polling: a condition
// that becomes true after a while is noticed with a handful of engine calls, not one per tick.
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import type { Engine } from '../../../src/engine/engine';
import { grade } from '../../../src/grading/grade';
import { parseExercise } from '../../../src/spec/load';
import {
  leftovers,
  removeTempDirs,
  stepsExercise,
  submissionDir,
  summary,
  uniqueRunId,
} from '../../support/inline-grading';

afterAll(removeTempDirs);

/** The real engine, counting the calls a polling wait would repeat. */
function countingEngine(runId: string): { engine: Engine; calls: Record<string, number> } {
  const real = createDockerEngine(runId);
  const calls: Record<string, number> = { inspectContainer: 0, logs: 0, watchContainer: 0 };
  const engine = new Proxy(real, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof key !== 'string' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (key in calls) calls[key] = (calls[key] ?? 0) + 1;
        return (value as (...values: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { engine, calls };
}

async function gradeWait(id: string, steps: string) {
  const runId = uniqueRunId('events');
  const { engine, calls } = countingEngine(runId);
  const yaml = stepsExercise(id, steps);
  const log: string[] = [];
  const report = await grade([parseExercise(yaml, 'inline/exercise.yaml')], {
    engine,
    submissionRoot: submissionDir({}),
    progress: { info: (line) => log.push(line), output: (line) => log.push(`| ${line}`) },
  });
  const exercise = report.exercises[0];
  if (exercise === undefined) throw new Error('grade() returned no exercise');
  return { graded: { exercise, runId, submission: '', log, statuses: {} }, calls };
}

describe('a wait', () => {
  it('notices a ready line printed after a while from the output, without polling', async () => {
    const { graded, calls } = await gradeWait(
      'events-log',
      `
  - run: { name: app, image: busybox, command: "sleep 3; echo ready; exec sleep 300" }
  - wait: { container: app, log: "^ready$", timeout: 30s }
`,
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(calls.watchContainer).toBe(1);
    // A 200 ms poll makes 15 of each in 3 s; following makes one at the start and one per change.
    expect(calls.inspectContainer).toBeLessThanOrEqual(4);
    expect(calls.logs).toBeLessThanOrEqual(4);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('notices health from the health_status event, without polling', async () => {
    const { graded, calls } = await gradeWait(
      'events-health',
      `
  - run:
      name: app
      image: busybox
      command: "sleep 3; touch /tmp/ready; exec sleep 300"
      healthcheck: { test: [test, -f, /tmp/ready], interval: 0.5s, retries: 60 }
  - wait: { container: app, healthy: true, timeout: 30s }
`,
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    // The healthcheck's own execs are events too, and are not changes.
    expect(calls.inspectContainer).toBeLessThanOrEqual(4);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails at once when the container dies, told by the die event', async () => {
    const { graded, calls } = await gradeWait(
      'events-die',
      `
  - run: { name: app, image: busybox, command: "sleep 2; echo bye; exit 3" }
  - wait: { container: app, log: "^never$", timeout: 60s }
`,
    );
    expect(graded.exercise.setupError, summary(graded)).toContain(
      'stopped (exit code 3) before it was ready',
    );
    expect(calls.inspectContainer).toBeLessThanOrEqual(4);
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});
