// The bundled CLI (dist/cli/index.js) on the real engine, as a user runs it.
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GradeReport } from '../../../src/report/model';
import { CLI, EXAMPLE, labelled, type Run, runNode, tempDir } from '../../support/integration';

function gradeExample(solution: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return runNode(
    CLI,
    ['grade', EXAMPLE, '--submission', path.join(EXAMPLE, 'solutions', solution), ...extra],
    env,
  );
}

/**
 * `selftest --quiet` of a fresh exercise: this exercise.yaml, and solutions/ holding these
 * folders, each with its files.
 */
function selftest(
  prefix: string,
  exerciseYaml: string,
  solutions: Record<string, Record<string, string>>,
): Promise<Run> {
  const exerciseDir = path.join(tempDir(prefix), 'ex');
  for (const [solution, files] of Object.entries(solutions)) {
    const folder = path.join(exerciseDir, 'solutions', solution);
    mkdirSync(folder, { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(folder, name), content);
  }
  writeFileSync(path.join(exerciseDir, 'exercise.yaml'), exerciseYaml);
  return runNode(CLI, ['selftest', exerciseDir, '--quiet']);
}

describe('docker-autograder grade (bundled CLI, real engine)', () => {
  it('gives the reference solution full marks and exits 0', async () => {
    const run = await gradeExample('reference', ['--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as GradeReport;
    expect(report.maxScore).toBe(11);
    expect(report.score).toBe(report.maxScore);
    expect(report.passed).toBe(true);
    expect(report.exercises[0]?.checks.every((check) => check.status === 'pass')).toBe(true);
    // Progress goes to stderr, so stdout is nothing but the report.
    expect(run.stderr).toContain('images/flask-app');
  });

  it('fails a shell-form CMD and names the failing checks, with expected vs actual', async () => {
    const run = await gradeExample('wrong-shell-form-cmd', ['--format', 'json']);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as GradeReport;
    expect(report.score).toBeLessThan(report.maxScore);
    const checks = report.exercises[0]?.checks ?? [];
    const failedNames = checks.filter((check) => check.status === 'fail').map((check) => check.name);
    expect(failedNames).toContain('CMD runs the app in exec form');
    expect(failedNames).toContain('GET /status answers OK');
    const cmd = checks.find((check) => check.name === 'CMD runs the app in exec form');
    expect(cmd?.expected).toBe('equals ["python3","app.py"]');
    expect(cmd?.actual).toBe('["/bin/sh","-c","\\"python3 app.py\\""]');
    expect(cmd?.hint).toMatch(/JSON list/);
    // The image's own config still scores although the container never became ready.
    expect(checks.find((check) => check.name === 'The working directory is /app')?.status).toBe('pass');
    expect(report.exercises[0]?.setupError).toMatch(
      /container "web" stopped \(exit code \d+\) before it was ready/,
    );
  });

  it('fails an app listening on localhost only, in the readable text report', async () => {
    const run = await gradeExample('wrong-listens-on-localhost');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/GET \/status answers OK/);
    expect(run.stdout).toMatch(/not ready within 15s/);
    // The HTTP checks look at the container whose run step failed: they name that step, and
    // show no expected/actual/hint of their own.
    expect(run.stdout).toMatch(
      /GET \/status answers OK\n\s+not checked: the setup step "run container "web" from app" failed/,
    );
    expect(run.stdout).not.toMatch(/hint:\s+Does the app listen on 0\.0\.0\.0:8080/);
  });

  it('reports a Dockerfile that does not build with the build log', async () => {
    const submission = tempDir('broken-build');
    const folder = path.join(submission, 'flask-app');
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    writeFileSync(path.join(folder, 'Dockerfile'), 'FROM python:3.11-slim\nRUN sudo apt-get update\n');
    const run = await runNode(CLI, ['grade', EXAMPLE, '--submission', submission, '--format', 'json']);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as GradeReport;
    expect(report.score).toBe(0);
    expect(report.exercises[0]?.setupError).toMatch(/did not build: .*returned a non-zero code: 127/);
    expect(report.exercises[0]?.setupLog).toMatch(/sudo: not found/);
  });

  it('exits 3 with one line, not a stack trace, when the engine is unreachable', async () => {
    const run = await gradeExample('reference', [], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(run.code).toBe(3);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^infrastructure error: .*not reachable.*nonexistent\/docker\.sock/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('leaves nothing labelled on the engine after grading', async () => {
    expect(await labelled('org.docker-autograder.run')).toEqual([]);
  });
});

describe('docker-autograder validate and schema', () => {
  it('prints file:line:col of a type error and exits 2', async () => {
    const dir = tempDir('bad-spec');
    const file = path.join(dir, 'exercise.yaml');
    writeFileSync(
      file,
      'version: 1\nid: x/y\ntitle: T\nchecks:\n  - name: c\n    points: many\n    image: { name: a }\n    expect: { user: root }\n',
    );
    const run = await runNode(CLI, ['validate', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`${file}:6:13: checks[0].points must be number`);
  });

  it('accepts the bundled example', async () => {
    const run = await runNode(CLI, ['validate', EXAMPLE]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/exercise\.yaml: ok \(images\/flask-app, 6 checks\)/);
  });

  it('prints the JSON schema', async () => {
    const run = await runNode(CLI, ['schema']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ title: 'docker-autograder exercise' });
  });

  it('exits 2 on a usage error', async () => {
    const run = await runNode(CLI, ['grade', EXAMPLE, '--format', 'yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--format must be one of text, json, markdown/);
  });
});

describe('docker-autograder selftest and answers', () => {
  it('grades the example solutions as their folders say', async () => {
    const run = await runNode(CLI, ['selftest', EXAMPLE, '--quiet']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✔ images\/flask-app \/ reference: 11\/11/);
    expect(run.stdout).toMatch(/✔ images\/flask-app \/ alt-workdir-slash: 11\/11/);
    expect(run.stdout).toMatch(/✔ images\/flask-app \/ wrong-shell-form-cmd: 2\/11/);
    expect(run.stdout).toContain('selftest: all 4 solutions graded as expected');
  });

  it('reports a wrong solution that gets full marks', async () => {
    const run = await selftest(
      'selftest',
      'version: 1\nid: t/selftest\ntitle: T\nchecks:\n  - name: busybox exists\n    image: { name: busybox }\n    expect: { exists: true }\n',
      { reference: {}, 'wrong-same': {} },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✘ t/selftest / wrong-same: 1/1 — this wrong solution gets full marks');
  });

  it('holds alt-* solutions to full marks, like the reference', async () => {
    const run = await selftest(
      'selftest-alt',
      'version: 1\nid: t/selftest-alt\ntitle: T\nchecks:\n  - name: app.sh is copied\n    dockerfile: {}\n    expect: { sequence: [{ copies: app.sh }] }\n',
      {
        reference: { Dockerfile: 'FROM busybox:latest\nCOPY app.sh /app/\n' },
        'alt-copy-all': { Dockerfile: 'FROM busybox:latest\nWORKDIR /app/\nCOPY ./ ./\n' },
        'alt-missing': { Dockerfile: 'FROM busybox:latest\nRUN echo COPY app.sh /app/\n' },
        notes: { Dockerfile: 'not a solution\n' },
      },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✔ t/selftest-alt / reference: 1/1');
    expect(run.stdout).toContain('✔ t/selftest-alt / alt-copy-all: 1/1');
    expect(run.stdout).toContain(
      '✘ t/selftest-alt / alt-missing: 0/1 — the correct solution alt-missing fails: app.sh is copied',
    );
    // notes/ is not a solution: only reference, alt-* and wrong-* are graded.
    expect(run.stdout).not.toContain('notes');
  });

  it('hashes quiz answers with the key from the environment only', async () => {
    const key = 'k'.repeat(32);
    const run = await runNode(CLI, ['answers', 'hash', 'intro/quiz', 'q1=b'], {
      AUTOGRADER_ANSWERS_KEY: key,
    });
    expect(run.code, run.stderr).toBe(0);
    const expected = createHmac('sha256', key).update('intro/quiz\nq1\nb').digest('hex');
    expect(run.stdout).toContain(`q1: ${expected}`);
    const keyless = await runNode(CLI, ['answers', 'hash', 'intro/quiz', 'q1=b'], {
      AUTOGRADER_ANSWERS_KEY: '',
    });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/the answers key is not set: set AUTOGRADER_ANSWERS_KEY/);
  });
});
