import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InfraError } from '../../src/errors';
import { grade } from '../../src/grade';
import { parseExercise } from '../../src/spec/load';
import { FakeEngine } from './fake-engine';

const SPEC = `version: 1
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

function submission(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'grade-test-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\n');
  return dir;
}

const exercise = () => parseExercise(SPEC, 'demo/exercise.yaml');

describe('grade', () => {
  it('scores every check and cleans up each exercise and the run', async () => {
    const engine = new FakeEngine();
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    expect(report).toMatchObject({ score: 5, maxScore: 5, passed: true });
    expect(report.exercises[0]?.checks.map((check) => check.status)).toEqual(['pass', 'pass']);
    expect(engine.calls).toContain('create fake-run-1-web from docker-autograder/fake-run-1-app:latest');
    expect(engine.removed).toEqual([{ scope: 'fake-run-1' }, { scope: undefined }]);
  });

  it('reports expected, actual and the hint of a failed check', async () => {
    const engine = new FakeEngine();
    engine.execResult = { exitCode: 1, stdout: 'bye\n', stderr: '', truncated: false, timedOut: false };
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    const failed = report.exercises[0]?.checks[1];
    expect(failed).toMatchObject({ status: 'fail', points: 0, maxPoints: 3, hint: 'echo hello' });
    expect(failed?.expected).toBe('stdout: equals "hello"\nexitCode: equals 0');
    expect(failed?.actual).toBe('stdout: bye\n\nexitCode: 1');
    expect(failed?.location).toEqual({ file: 'demo/exercise.yaml', line: 12, column: 5 });
    expect(report).toMatchObject({ score: 2, passed: false });
  });

  it('keeps grading after a failed build, and says why in the exercise', async () => {
    const engine = new FakeEngine();
    engine.buildResult = { ok: false, error: 'RUN false returned 1', log: 'Step 1/2\nerror' };
    const report = await grade([exercise()], { engine, submissionRoot: submission() });
    const result = report.exercises[0];
    expect(result?.setupError).toContain('RUN false returned 1');
    expect(result?.setupLog).toContain('error');
    expect(result?.checks.map((check) => check.message)).toEqual([
      'image "app" does not exist',
      'container "web" was never started',
    ]);
    expect(engine.calls.some((call) => call.startsWith('create'))).toBe(false);
  });

  it('fails the checks of a missing submission folder without touching the engine', async () => {
    const engine = new FakeEngine();
    const report = await grade([exercise()], { engine, submissionRoot: '/nonexistent/submission' });
    expect(report.exercises[0]?.setupError).toMatch(/submission folder "\." does not exist/);
    expect(engine.calls.filter((call) => call.startsWith('build'))).toEqual([]);
  });

  it('turns an engine failure into status error, never a zero grade', async () => {
    const engine = new FakeEngine();
    engine.failure = new InfraError('Docker engine not reachable');
    engine.failAfterCalls = 3;
    const report = await grade([exercise(), exercise()], { engine, submissionRoot: submission() });
    expect(report.exercises.map((result) => result.status)).toEqual(['error', 'error']);
    expect(report.exercises[0]?.checks.every((check) => check.status === 'error')).toBe(true);
    expect(report.exercises[0]?.setupError).toBe('Docker engine not reachable');
    expect(report.passed).toBe(false);
  });

  it('fails checks that the exercise time limit leaves no time for', async () => {
    const engine = new FakeEngine();
    let clock = 0;
    const now = () => {
      clock += 400_000; // each reading of the clock advances it by 6m40s
      return clock;
    };
    const report = await grade([exercise()], { engine, submissionRoot: submission(), now });
    const messages = report.exercises[0]?.checks.map((check) => check.message) ?? [];
    expect(messages.some((message) => /time limit of 10m0s was reached/.test(message))).toBe(true);
  });
});
