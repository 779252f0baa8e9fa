// Grade mode without a runner or an engine: the action's main step on a recording runner and a
// FakeEngine, from its inputs to its outputs, job summary, annotations and the step's result.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../../src/action/main';
import { STATE_DOCKER_HOST, STATE_RUN_ID } from '../../../src/action/state';
import type { GradeReport } from '../../../src/report/model';
import { InfraError } from '../../../src/shared/errors';
import { execAnswer } from '../../support/fake-engine';
import { fakeDeps, tempDir } from './action-fakes';

// No build: the action's part is around the grading, which grade.test.ts covers.
const SPEC = `version: 1
id: demo/one
title: Demo
steps:
  - run: { name: box, image: busybox, command: [sleep, "600"] }
checks:
  - name: answers
    points: 2
    exec: { container: box, command: ["true"] }
    expect: { exitCode: 0 }
  - name: says hello
    points: 3
    exec: { container: box, command: [echo, hello] }
    expect: { stdout: hello }
`;

/** An exercise, a submission, and the inputs that grade one with the other. */
function gradeInputs(spec = SPEC): Record<string, string> {
  const dir = tempDir('grade');
  writeFileSync(path.join(dir, 'exercise.yaml'), spec);
  return { exercises: path.join(dir, 'exercise.yaml'), submission: dir, 'docker-host': 'tcp://engine:2375' };
}

const ENV = { RUNNER_TEMP: tempDir('runner') };

function decodedResult(value: unknown): unknown {
  return JSON.parse(Buffer.from(String(value), 'base64').toString('utf8'));
}

describe('grade mode', () => {
  it('writes the report, the outputs and the job summary of a passed grading, and passes', async () => {
    const deps = fakeDeps();
    Object.assign(deps.core.inputs, gradeInputs());
    await run(deps, ENV);

    const { outputs } = deps.core;
    expect(outputs).toMatchObject({ score: 5, 'max-score': 5, passed: true });
    const reportFile = path.join(ENV.RUNNER_TEMP, 'docker-autograder/report.json');
    expect(outputs.report).toBe(reportFile);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as GradeReport;
    expect(report).toMatchObject({ score: 5, maxScore: 5, passed: true });
    expect(decodedResult(outputs.result)).toMatchObject({ status: 'pass', max_score: 5 });
    expect(deps.core.summaries).toHaveLength(1);
    expect(deps.core.summaries[0]).toContain('5/5');
    expect(deps.core.annotations).toEqual([]);
    expect(deps.core.failures).toEqual([]);
    expect(deps.core.exitCode).toBeUndefined();
  });

  it('saves the run and the engine for the post step, and grades on that engine', async () => {
    const deps = fakeDeps();
    Object.assign(deps.core.inputs, gradeInputs());
    await run(deps, ENV);
    const runId = deps.core.state.get(STATE_RUN_ID);
    expect(runId).toMatch(/^ag[a-z0-9]+$/);
    expect(deps.core.state.get(STATE_DOCKER_HOST)).toBe('tcp://engine:2375');
    expect(deps.sessions).toMatchObject([{ runId, host: 'tcp://engine:2375' }]);
  });

  it('prints the grading inside a stop-commands block', async () => {
    const deps = fakeDeps();
    Object.assign(deps.core.inputs, gradeInputs());
    await run(deps, ENV);
    const log = deps.core.log;
    const start = log.findIndex((line) => line.startsWith('::stop-commands::'));
    const token = log[start]?.slice('::stop-commands::'.length);
    const end = log.indexOf(`::${token}::`);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const textReport = log.findIndex((line) => line.includes('demo/one'));
    expect(textReport).toBeGreaterThan(start);
    expect(textReport).toBeLessThan(end);
  });

  it('annotates the failed checks of a failed grading and fails the step with the score', async () => {
    const deps = fakeDeps();
    deps.engine.execResult = execAnswer(0, 'bye\n');
    Object.assign(deps.core.inputs, gradeInputs());
    await run(deps, ENV);

    expect(deps.core.outputs).toMatchObject({ score: 2, 'max-score': 5, passed: false });
    expect(decodedResult(deps.core.outputs.result)).toMatchObject({ status: 'fail' });
    expect(deps.core.annotations).toHaveLength(1);
    expect(deps.core.annotations[0]).toMatchObject({
      level: 'error',
      place: { title: 'demo/one: says hello (0/3 points)' },
    });
    expect(deps.core.summaries[0]).toContain('says hello');
    expect(deps.core.failures).toEqual(['score 2/5: not all checks passed']);
    expect(deps.core.exitCode).toBe(1);
  });

  it('leaves the step passed when fail-if-not-passed is false', async () => {
    const deps = fakeDeps();
    deps.engine.execResult = execAnswer(0, 'bye\n');
    Object.assign(deps.core.inputs, gradeInputs(), { 'fail-if-not-passed': 'false' });
    await run(deps, ENV);
    expect(deps.core.outputs.passed).toBe(false);
    expect(deps.core.failures).toEqual([]);
    expect(deps.core.exitCode).toBeUndefined();
  });

  it('says an engine failure during the grading is no grade: exit code 3', async () => {
    const deps = fakeDeps();
    deps.engine.failure = new InfraError('Docker engine not reachable');
    deps.engine.failAfterCalls = 3;
    Object.assign(deps.core.inputs, gradeInputs());
    await run(deps, ENV);
    expect(deps.core.outputs.passed).toBe(false);
    expect(deps.core.failures).toEqual([
      'grading did not complete: the Docker engine failed (see the log); this is not a grade',
    ]);
    expect(deps.core.exitCode).toBe(3);
  });
});

describe('the main step when grading cannot go on', () => {
  it('maps an engine error to exit code 3, and `result` to a Classroom error', async () => {
    const deps = fakeDeps();
    deps.withEngine = async () => {
      throw new InfraError('the Docker engine cannot be reached');
    };
    Object.assign(deps.core.inputs, gradeInputs());
    await run(deps, ENV);
    expect(deps.core.failures).toEqual([
      'grading did not complete: the Docker engine cannot be reached; this is not a grade',
    ]);
    expect(deps.core.exitCode).toBe(3);
    expect(Object.keys(deps.core.outputs)).toEqual(['result']);
    expect(decodedResult(deps.core.outputs.result)).toMatchObject({ status: 'error', max_score: 0 });
  });

  it('keeps the reason of an abandoned run in `result`, not a later failure', async () => {
    const deps = fakeDeps();
    deps.withEngine = async (_run, options) => {
      options.onAbandon?.('SIGTERM received');
      throw new InfraError('grading was interrupted: nothing more is asked of the engine');
    };
    Object.assign(deps.core.inputs, gradeInputs());
    await run(deps, ENV);
    expect(deps.core.failures[0]).toBe('grading did not complete: SIGTERM received; this is not a grade');
    expect(deps.core.exitCode).toBe(3);
    expect(JSON.stringify(decodedResult(deps.core.outputs.result))).toContain('SIGTERM received');
  });

  it('annotates at most 9 spec problems at their places, logs the rest, and runs nothing', async () => {
    const checks = Array.from(
      { length: 12 },
      (_, index) => `  - name: c${index}\n    image: { name: a }\n    expect: { usr${index}: root }\n`,
    );
    const deps = fakeDeps();
    const inputs = gradeInputs(`version: 1\nid: x/y\ntitle: T\nchecks:\n${checks.join('')}`);
    Object.assign(deps.core.inputs, inputs);
    await run(deps, ENV);
    expect(deps.core.annotations).toHaveLength(9);
    expect(deps.core.annotations[0]).toMatchObject({
      level: 'error',
      place: { file: inputs.exercises, startLine: 7, startColumn: 15 },
    });
    expect(
      deps.core.log.some((line) => line.startsWith(`${inputs.exercises}:40:15: unknown key "usr11"`)),
    ).toBe(true);
    expect(deps.core.failures).toEqual([
      'the exercise specs have 12 problem(s); see the annotations and the log',
    ]);
    expect(deps.core.exitCode).toBe(1);
    expect(deps.sessions).toEqual([]);
    expect(Object.keys(deps.core.outputs)).toEqual(['result']);
  });

  it("fails the step with a wrong input's message", async () => {
    const deps = fakeDeps();
    await run(deps, ENV);
    expect(deps.core.failures).toEqual([
      'input "exercises" is required in mode "grade": exercise files or folders, one per line',
    ]);
    expect(deps.core.exitCode).toBe(1);
  });
});
