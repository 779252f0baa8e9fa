// A student's script trying to forge its grade or steal the runner's secrets, graded by the
// bundled action (dist/index.js) started as the runner starts it, on the real engine: it writes
// to GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV and the report file (by variable and by
// path), prints workflow commands, and looks for tokens in its environment. None of it reaches
// the grade, the runner's files, or the secrets.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GradeReport } from '../../../src/report/model';
import {
  ACTION,
  labelled,
  liveCommands,
  parseRunnerFile,
  runNode,
  runnerFiles,
  tempDir,
} from '../../support/integration';

const SECRETS = {
  GITHUB_TOKEN: 'ghs_abuseFakeGithubToken0123456789',
  INPUT_GITHUB_TOKEN: 'ghs_abuseFakeInputToken0123456789',
  ACTIONS_RUNTIME_TOKEN: 'abuse-fake-actions-runtime-token',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'abuse-fake-id-token-request',
  AUTOGRADER_ANSWERS_KEY: 'abuse-fake-answers-key',
};

const runIds: string[] = [];
afterAll(async () => {
  for (const runId of runIds) expect(await labelled(`org.docker-autograder.run=${runId}`)).toEqual([]);
});

describe('a script forging its grade or reading secrets', () => {
  it('reaches neither the outputs, the summary, the report, nor a secret', async () => {
    const dir = tempDir('abuse-secrets');
    const exerciseDir = path.join(dir, 'exercise');
    const submission = path.join(dir, 'submission');
    mkdirSync(exerciseDir);
    mkdirSync(submission);
    writeFileSync(
      path.join(exerciseDir, 'exercise.yaml'),
      [
        'version: 1',
        'id: abuse/secrets',
        'title: forge the grade',
        'steps:',
        '  - script: { file: run.sh }',
        'checks:',
        '  - name: a container named winner runs',
        '    points: 5',
        '    container: { name: winner }',
        '    expect: { running: true }',
        '',
      ].join('\n'),
    );
    const runner = runnerFiles({ exercises: exerciseDir, submission });
    for (const [name, value] of Object.entries(SECRETS)) runner.env[name] = value;
    runner.env.GITHUB_ENV = path.join(runner.dir, 'env.txt');
    writeFileSync(runner.env.GITHUB_ENV, '');
    const reportPath = path.join(runner.dir, 'docker-autograder/report.json');
    const runnerPaths = [runner.env.GITHUB_OUTPUT, runner.env.GITHUB_STEP_SUMMARY, runner.env.GITHUB_ENV];
    // The student guessed every path: by variable, and spelled out.
    const targets = [
      '"$GITHUB_OUTPUT"',
      '"$GITHUB_STEP_SUMMARY"',
      '"$GITHUB_ENV"',
      ...[...runnerPaths, reportPath].map((file) => `'${file}'`),
    ];
    writeFileSync(
      path.join(submission, 'run.sh'),
      [
        ...targets.map(
          (target) =>
            `{ printf 'score=100\\npassed=true\\n{"score":100}\\n' >> ${target}; } 2>/dev/null && echo "WROTE ${target.replace(/"/g, '')}"`,
        ),
        `mkdir -p '${path.dirname(reportPath)}' && echo '{"version":1,"score":5,"maxScore":5,"passed":true}' > '${reportPath}'`,
        'echo "::set-output name=score::5"',
        'echo "::add-mask::x"',
        // Printed while the script runs (its output is followed live), split by \r as the runner splits.
        `printf 'text\\r::error::after a carriage return\\n'`,
        'echo "  ::stop-commands::guessed"',
        'echo "##[error]old syntax"',
        'env | sort',
        'cat /proc/1/environ 2>/dev/null | tr "\\0" "\\n"',
        'docker run --rm busybox env',
        'echo done',
        '',
      ].join('\n'),
    );
    const run = await runNode(ACTION, [], runner.env);
    const stateRunId = parseRunnerFile(runner.env.GITHUB_STATE ?? '')['run-id'];
    if (stateRunId) runIds.push(stateRunId);
    expect(run.code, run.stdout + run.stderr).toBe(1);

    // The grade is the grader's: the check failed, 0 of 5.
    const outputs = parseRunnerFile(runner.env.GITHUB_OUTPUT ?? '');
    expect(outputs).toMatchObject({ score: '0', 'max-score': '5', passed: 'false' });
    expect(readFileSync(runner.env.GITHUB_OUTPUT ?? '', 'utf8')).not.toMatch(/score=100|passed=true/);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as GradeReport;
    expect(report).toMatchObject({ score: 0, maxScore: 5, passed: false });
    expect(readFileSync(runner.env.GITHUB_STEP_SUMMARY ?? '', 'utf8')).not.toMatch(/score=100/);
    expect(readFileSync(runner.env.GITHUB_ENV, 'utf8')).toBe('');

    // The script ran, and none of its writes landed.
    expect(run.stdout).toContain('done');
    expect(run.stdout).not.toMatch(/WROTE/);
    // Its workflow commands stayed text.
    expect(liveCommands(run.stdout).filter((command) => /set-output|add-mask/.test(command))).toEqual([]);
    // Defanged even inside the grader's stop-commands block: no line of the student's is a command.
    const lines = run.stdout.split(/\r\n|\r|\n/);
    expect(
      lines.filter((line) => /^\s*::(set-output|add-mask|error::after|stop-commands::guessed)/.test(line)),
    ).toEqual([]);
    expect(lines.filter((line) => line.includes('##[error]old syntax'))).toEqual([]);
    expect(run.stdout).toContain('::error::after a carriage return');
    // No secret anywhere: not in the log, the report, the summary or the outputs.
    const everything = [
      run.stdout,
      run.stderr,
      readFileSync(reportPath, 'utf8'),
      readFileSync(runner.env.GITHUB_STEP_SUMMARY ?? '', 'utf8'),
      readFileSync(runner.env.GITHUB_OUTPUT ?? '', 'utf8'),
    ].join('\n');
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
    expect(run.stdout).not.toMatch(/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/m);
  });
});
