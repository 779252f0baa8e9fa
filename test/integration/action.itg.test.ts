// The bundled action (dist/index.js) started as the runner starts it: INPUT_* variables, files
// for GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE, an event file; then its post step.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GradeReport } from '../../src/report/model';
import { ACTION, labelled, ROOT, runNode, tempDir } from './helpers';

interface RunnerFiles {
  dir: string;
  env: NodeJS.ProcessEnv;
}

function runnerFiles(inputs: Record<string, string>): RunnerFiles {
  const dir = tempDir('runner');
  const files = { output: 'output.txt', summary: 'summary.md', state: 'state.txt', event: 'event.json' };
  for (const name of Object.values(files)) writeFileSync(path.join(dir, name), '');
  writeFileSync(
    path.join(dir, files.event),
    JSON.stringify({
      action: 'synchronize',
      number: 7,
      pull_request: { number: 7, head: { sha: 'abc123' } },
    }),
  );
  const env: NodeJS.ProcessEnv = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ROOT,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: path.join(dir, files.event),
    GITHUB_OUTPUT: path.join(dir, files.output),
    GITHUB_STEP_SUMMARY: path.join(dir, files.summary),
    GITHUB_STATE: path.join(dir, files.state),
    RUNNER_TEMP: dir,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return { dir, env };
}

/** Parses the runner's key<<delimiter file format (GITHUB_OUTPUT, GITHUB_STATE). */
function parseRunnerFile(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match) continue;
    const [, name = '', delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    values[name] = value.join('\n');
  }
  return values;
}

/** Lines the runner would read as workflow commands: `::` lines outside stop-commands blocks. */
function liveCommands(stdout: string): string[] {
  const live: string[] = [];
  let stopToken: string | undefined;
  for (const line of stdout.split('\n')) {
    if (stopToken !== undefined) {
      if (line === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) stopToken = stop[1];
    else if (line.startsWith('::')) live.push(line);
  }
  return live;
}

describe('the bundled action', () => {
  it('grades the reference solution: outputs, report file and job summary', async () => {
    const runner = runnerFiles({
      exercises: 'exercises/images/flask-app',
      submission: 'exercises/images/flask-app/solutions/reference',
    });
    const run = await runNode(ACTION, [], runner.env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const outputs = parseRunnerFile(runner.env.GITHUB_OUTPUT ?? '');
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
    const state = parseRunnerFile(runner.env.GITHUB_STATE ?? '');
    expect(state).toMatchObject({ 'is-post': 'true', 'run-id': expect.stringMatching(/^ag[a-z0-9]+$/) });
  });

  it('fails the step for a wrong solution and details the failures in the summary', async () => {
    const runner = runnerFiles({
      exercises: 'exercises/images/flask-app',
      submission: 'exercises/images/flask-app/solutions/wrong-shell-form-cmd',
    });
    const run = await runNode(ACTION, [], runner.env);
    expect(run.code).toBe(1);
    const outputs = parseRunnerFile(runner.env.GITHUB_OUTPUT ?? '');
    expect(outputs.passed).toBe('false');
    expect(Number(outputs.score)).toBeLessThan(11);
    expect(liveCommands(run.stdout)).toEqual([`::error::score ${outputs.score}/11: not all checks passed`]);
    const summary = readFileSync(runner.env.GITHUB_STEP_SUMMARY ?? '', 'utf8');
    expect(summary).toContain('CMD runs the app in exec form');
    expect(summary).toMatch(/JSON list/);
  });

  it('does not fail the step when fail-if-not-passed is false', async () => {
    const runner = runnerFiles({
      exercises: 'exercises/images/flask-app',
      submission: 'exercises/images/flask-app/solutions/wrong-listens-on-localhost',
      'fail-if-not-passed': 'false',
    });
    const run = await runNode(ACTION, [], runner.env);
    expect(run.code, run.stdout).toBe(0);
    expect(parseRunnerFile(runner.env.GITHUB_OUTPUT ?? '').passed).toBe('false');
  });

  it('annotates a broken spec at its line and runs nothing', async () => {
    const specDir = tempDir('spec');
    writeFileSync(
      path.join(specDir, 'exercise.yaml'),
      'version: 1\nid: x/y\ntitle: T\nchecks:\n  - name: c\n    image: { name: a }\n    expect: { usr: root }\n',
    );
    const runner = runnerFiles({ exercises: specDir });
    const run = await runNode(ACTION, [], runner.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error file=${path.join(specDir, 'exercise.yaml')},line=7,col=15::unknown key "usr" in checks[0].expect`,
    );
    expect(readFileSync(runner.env.GITHUB_OUTPUT ?? '', 'utf8')).toBe('');
  });

  it('keeps student output from becoming workflow commands or outputs', async () => {
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
        '    exec: { container: noisy, command: "echo ::set-output name=passed::true; echo ::error::fake; echo ::add-mask::x" }',
        '    expect: { stdout: nothing }',
      ].join('\n'),
    );
    const runner = runnerFiles({ exercises: exerciseDir, submission });
    const run = await runNode(ACTION, [], runner.env);
    expect(run.code).toBe(1);
    expect(parseRunnerFile(runner.env.GITHUB_OUTPUT ?? '')).toMatchObject({ score: '0', passed: 'false' });
    expect(liveCommands(run.stdout)).toEqual(['::error::score 0/1: not all checks passed']);
  });

  it('post step removes what a cancelled run left behind', async () => {
    const runner = runnerFiles({ exercises: 'exercises/images/flask-app' });
    const runId = `itg-post-${Date.now()}`;
    execFileSync('docker', ['create', '--label', `org.docker-autograder.run=${runId}`, 'busybox', 'true']);
    execFileSync('docker', ['network', 'create', '--label', `org.docker-autograder.run=${runId}`, runId]);
    expect(await labelled(`org.docker-autograder.run=${runId}`)).toHaveLength(2);
    // The runner hands the main step's saved state to the post step as STATE_* variables.
    const run = await runNode(ACTION, [], { ...runner.env, 'STATE_is-post': 'true', 'STATE_run-id': runId });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`removed 2 leftover resources of run ${runId}`);
    expect(await labelled(`org.docker-autograder.run=${runId}`)).toEqual([]);
  });
});
