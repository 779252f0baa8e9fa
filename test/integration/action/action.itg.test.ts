// The bundled action (dist/index.js) started as the runner starts it: INPUT_* variables, files
// for GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE, an event file; then its post step.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GradeReport } from '../../../src/report/model';
import {
  labelled,
  liveCommands,
  parseCommand,
  runAction,
  runnerFiles,
  runPostStep,
  tempDir,
} from '../../support/integration';

/** The example exercise, named as a workflow names it: relative to the workspace. */
const FLASK_APP = 'exercises/images/flask-app';

function flaskSolution(name: string): string {
  return `${FLASK_APP}/solutions/${name}`;
}

describe('the bundled action', () => {
  it('grades the reference solution: outputs, report file and job summary', async () => {
    const runner = runnerFiles({
      exercises: FLASK_APP,
      submission: flaskSolution('reference'),
    });
    const run = await runAction(runner);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const { outputs } = run;
    expect(outputs).toMatchObject({ score: '11', 'max-score': '11', passed: 'true' });
    const reportPath = outputs.report ?? '';
    expect(reportPath).toBe(path.join(runner.dir, 'docker-autograder/report.json'));
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as GradeReport;
    expect(report).toMatchObject({ version: 1, score: 11, maxScore: 11, passed: true });
    const summary = readFileSync(runner.env.GITHUB_STEP_SUMMARY ?? '', 'utf8');
    expect(summary).toContain('11/11');
    expect(summary).toContain('GET /status answers OK');
    expect(liveCommands(run.stdout)).toEqual([]);
    // The post step finds the run id in the state the main step saved.
    const { state } = run;
    expect(state).toMatchObject({ 'is-post': 'true', 'run-id': expect.stringMatching(/^ag[a-z0-9]+$/) });
  });

  it('fails the step for a wrong solution and details the failures in the summary', async () => {
    const runner = runnerFiles({
      exercises: FLASK_APP,
      submission: flaskSolution('wrong-shell-form-cmd'),
    });
    const run = await runAction(runner);
    expect(run.code).toBe(1);
    const { outputs } = run;
    expect(outputs.passed).toBe('false');
    expect(Number(outputs.score)).toBeLessThan(11);
    const commands = liveCommands(run.stdout).map(parseCommand);
    expect(commands.at(-1)).toEqual({
      command: 'error',
      properties: {},
      message: `score ${outputs.score}/11: not all checks passed`,
    });
    // Each failed check is annotated; none of these has a place in the student's files, and
    // the exercise spec is the instructor's, so the annotations are on no file.
    const annotations = commands.slice(0, -1);
    expect(annotations.length).toBeGreaterThan(0);
    for (const annotation of annotations) {
      expect(annotation).toMatchObject({ command: 'error' });
      expect(annotation.properties).not.toHaveProperty('file');
      expect(annotation.properties).not.toHaveProperty('line');
    }
    expect(annotations.map((annotation) => annotation.properties.title)).toContain(
      'images/flask-app: CMD runs the app in exec form (0/2 points)',
    );
    const summary = readFileSync(runner.env.GITHUB_STEP_SUMMARY ?? '', 'utf8');
    expect(summary).toContain('CMD runs the app in exec form');
    expect(summary).toMatch(/JSON list/);
  });

  it('does not fail the step when fail-if-not-passed is false', async () => {
    const runner = runnerFiles({
      exercises: FLASK_APP,
      submission: flaskSolution('wrong-listens-on-localhost'),
      'fail-if-not-passed': 'false',
    });
    const run = await runAction(runner);
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.passed).toBe('false');
  });

  it('annotates a broken spec at its line and runs nothing', async () => {
    const specDir = tempDir('spec');
    writeFileSync(
      path.join(specDir, 'exercise.yaml'),
      'version: 1\nid: x/y\ntitle: T\nchecks:\n  - name: c\n    image: { name: a }\n    expect: { usr: root }\n',
    );
    const runner = runnerFiles({ exercises: specDir });
    const run = await runAction(runner);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error file=${path.join(specDir, 'exercise.yaml')},line=7,col=15::unknown key "usr" in checks[0].expect`,
    );
    // Only `result`, never empty (Classroom's reporter crashes on an empty one): status error.
    const { outputs } = run;
    expect(Object.keys(outputs)).toEqual(['result']);
    expect(JSON.parse(Buffer.from(outputs.result ?? '', 'base64').toString('utf8'))).toMatchObject({
      version: 1,
      status: 'error',
      max_score: 0,
    });
  });

  it('annotates at most 9 spec problems (GitHub shows 10 per step) and logs the rest', async () => {
    const specDir = tempDir('spec-many');
    const checks = Array.from(
      { length: 12 },
      (_, index) => `  - name: c${index}\n    image: { name: a }\n    expect: { usr${index}: root }\n`,
    );
    writeFileSync(
      path.join(specDir, 'exercise.yaml'),
      `version: 1\nid: x/y\ntitle: T\nchecks:\n${checks.join('')}`,
    );
    const run = await runAction(runnerFiles({ exercises: specDir }));
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(10);
    expect(errors.at(-1)).toBe(
      '::error::the exercise specs have 12 problem(s); see the annotations and the log',
    );
    expect(run.stdout).toContain(
      `${path.join(specDir, 'exercise.yaml')}:40:15: unknown key "usr11" in checks[11].expect`,
    );
  });

  it('keeps student output from becoming workflow commands, outputs or annotations', async () => {
    const exerciseDir = tempDir('hostile');
    const submission = path.join(exerciseDir, 'submission');
    mkdirSync(submission);
    writeFileSync(
      path.join(exerciseDir, 'exercise.yaml'),
      [
        'version: 1',
        'id: hostile/output',
        'title: Hostile output',
        'steps:',
        '  - run:',
        '      name: noisy',
        '      image: busybox',
        `      command: "echo '::set-output name=score::100'; echo '::error::fake'; echo ready; exec sleep 600"`,
        '      wait: { log: ready }',
        'checks:',
        '  - name: prints commands',
        '    exec: { container: noisy, command: "echo ::set-output name=passed::true; echo ::error::fake; echo ::add-mask::x; printf \'\\\\r::error::cr\\\\n\'" }',
        '    expect: { stdout: nothing }',
      ].join('\n'),
    );
    // The exercise lies in the workspace, but its annotation names no file: the spec is the
    // instructor's, and the check has no place in the student's files.
    const runner = runnerFiles(
      { exercises: exerciseDir, submission },
      { env: { GITHUB_WORKSPACE: exerciseDir } },
    );
    const run = await runAction(runner);
    expect(run.code).toBe(1);
    const { outputs } = run;
    expect(outputs).toMatchObject({ score: '0', 'max-score': '1', passed: 'false' });
    expect(Object.keys(outputs).sort()).toEqual(['max-score', 'passed', 'report', 'result', 'score']);
    const result = JSON.parse(Buffer.from(outputs.result ?? '', 'base64').toString('utf8'));
    expect(result).toMatchObject({ version: 1, status: 'fail', max_score: 1, tests: [{ score: 0 }] });

    // From the runner's point of view, exactly two commands: the check's annotation and the verdict.
    const commands = liveCommands(run.stdout).map(parseCommand);
    expect(commands.map(({ command, properties }) => ({ command, properties }))).toEqual([
      {
        command: 'error',
        properties: { title: 'hostile/output: prints commands (0/1 points)' },
      },
      { command: 'error', properties: {} },
    ]);
    expect(commands[1]?.message).toBe('score 0/1: not all checks passed');
    // The student's lines are inside the annotation's message, defanged, never commands of their own.
    const message = commands[0]?.message ?? '';
    expect(message).toContain('Actual: ::set-output name=passed::true\n» ::error::fake\n» ::add-mask::x');
    expect(message).toContain('\n» ::error::cr');
    expect(message.split('\n').filter((line) => line.trimStart().startsWith('::'))).toEqual([]);
    expect(run.stdout).not.toMatch(/^::(?:set-output|add-mask|error::fake)/m);
  });

  it('post step removes what a cancelled run left behind', async () => {
    const runner = runnerFiles({ exercises: FLASK_APP });
    const runId = `itg-post-${Date.now()}`;
    execFileSync('docker', ['create', '--label', `org.docker-autograder.run=${runId}`, 'busybox', 'true']);
    execFileSync('docker', ['network', 'create', '--label', `org.docker-autograder.run=${runId}`, runId]);
    expect(await labelled(`org.docker-autograder.run=${runId}`)).toHaveLength(2);
    // The state a main step saves: the post step finds the run by its id there.
    const run = await runPostStep(runner, { 'is-post': 'true', 'run-id': runId });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`removed 2 leftover resources of run ${runId}`);
    expect(await labelled(`org.docker-autograder.run=${runId}`)).toEqual([]);
  });
});
