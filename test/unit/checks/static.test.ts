// The static check kinds (dockerfile, protected) through grade(), on temporary folders, and
// the pure parts of dockerfile and build-cache analysis.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseDockerfile, normaliseInstruction } from '../../../src/checks/kinds/dockerfile';
import { displayPath } from '../../../src/checks/student-file';
import { parseBuildSteps } from '../../../src/dockerfile/build-steps';
import { grade } from '../../../src/grading/grade';
import { parseExercise } from '../../../src/spec/load';
import { FakeEngine } from '../../support/fake-engine';

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'checks-static-'));
  created.push(dir);
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), content);
  }
  return dir;
}

async function gradeChecks(checks: string, dir: string) {
  const spec = `version: 1\nid: demo/static\ntitle: Static\nchecks:\n${checks}`;
  const engine = new FakeEngine();
  const report = await grade([parseExercise(spec, 'demo/exercise.yaml')], { engine, submissionRoot: dir });
  // Static checks never touch the engine beyond the run's own bookkeeping.
  expect(engine.calls.filter((call) => call !== 'info')).toEqual([]);
  const exercise = report.exercises[0];
  if (exercise === undefined) throw new Error('no exercise result');
  return exercise;
}

const GOOD_DOCKERFILE = `FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
USER app
EXPOSE 8080
CMD ["python3", "app.py"]
`;

const BAD_DOCKERFILE = `FROM python
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD "python3 app.py"
`;

describe('dockerfile check', () => {
  const checks = `  - name: well-formed Dockerfile
    points: 4
    partial: true
    dockerfile: {}
    expect:
      cmdForm: exec
      user: { not: null }
      pinnedBase: true
      instructions: { inOrder: ['^COPY requirements\\.txt', '^RUN pip install', '^COPY \\. '] }
`;

  it('passes a Dockerfile that does what the exercise asks', async () => {
    const exercise = await gradeChecks(checks, folder({ Dockerfile: GOOD_DOCKERFILE }));
    expect(exercise.checks[0]).toMatchObject({ status: 'pass', points: 4 });
  });

  it('fails with expected vs actual and the Dockerfile line of each failed fact', async () => {
    const dir = folder({ Dockerfile: BAD_DOCKERFILE });
    const exercise = await gradeChecks(checks, dir);
    const check = exercise.checks[0];
    expect(check).toMatchObject({ status: 'fail', points: 0, maxPoints: 4 });
    expect(check?.message).toBe('cmdForm, user, pinnedBase, instructions not as expected (0 of 4 held)');
    expect(check?.expected).toBe(
      [
        'cmdForm: equals "exec"',
        'user: not (equals null)',
        'pinnedBase: equals true',
        'instructions: has, in this order, /^COPY requirements\\.txt/, /^RUN pip install/, /^COPY \\. /',
      ].join('\n'),
    );
    expect(check?.actual).toContain(
      'cmdForm: shell\nuser: null\npinnedBase: false\ninstructions: ["FROM python"',
    );
    // The first failed fact's own line: the CMD.
    expect(check?.location).toEqual({ file: displayPath(path.join(dir, 'Dockerfile')), line: 5, column: 1 });
  });

  it('judges a sequence by meaning, saying what it found and where', async () => {
    const checks = `  - name: dependencies before code
    dockerfile: {}
    expect:
      sequence: [{ copies: requirements.txt }, { installs: pip }, { copies: app.py }]
`;
    const alt = GOOD_DOCKERFILE.replace(
      'COPY requirements.txt .',
      'COPY --chown=app ./requirements.txt /app/requirements.txt',
    ).replace(
      'RUN pip install -r requirements.txt',
      'RUN python3 -m pip install --no-cache-dir -r requirements.txt',
    );
    expect((await gradeChecks(checks, folder({ Dockerfile: alt }))).checks[0]).toMatchObject({
      status: 'pass',
    });
    const dir = folder({ Dockerfile: BAD_DOCKERFILE });
    expect((await gradeChecks(checks, dir)).checks[0]).toMatchObject({
      status: 'fail',
      message: 'sequence not as expected',
      expected:
        'in the last stage, in this order: copies requirements.txt, then installs with pip, then copies app.py',
      actual:
        'first copies app.py at line 3: COPY . ., before installs with pip at line 4: RUN pip install -r requirements.txt',
      // The instruction that came too early, not the stage's FROM.
      location: { file: displayPath(path.join(dir, 'Dockerfile')), line: 3, column: 1 },
    });
  });

  it('points a single failed fact at its line', async () => {
    const dir = folder({ Dockerfile: BAD_DOCKERFILE });
    const exercise = await gradeChecks(
      `  - name: pinned
    dockerfile: {}
    expect: { pinnedBase: true }
`,
      dir,
    );
    expect(exercise.checks[0]).toMatchObject({
      status: 'fail',
      message: 'pinnedBase not as expected',
      expected: 'equals true',
      actual: 'false',
      location: { line: 1, column: 1 },
    });
  });

  it('reads the file the check names and the .dockerignore beside it', async () => {
    const dir = folder({
      'docker/Dockerfile.prod': 'FROM busybox:1.36\n',
      'docker/.dockerignore': '# local files\n\n.git\n  *.pyc \n',
      '.dockerignore': 'not this one\n',
    });
    const exercise = await gradeChecks(
      `  - name: ignore file
    dockerfile: { file: docker/Dockerfile.prod }
    expect: { dockerignore: [.git, '*.pyc'], stages: 1 }
`,
      dir,
    );
    expect(exercise.checks[0]).toMatchObject({ status: 'pass' });
  });

  it('fails when the Dockerfile is missing', async () => {
    const exercise = await gradeChecks(
      `  - name: cmd
    dockerfile: {}
    expect: { cmdForm: exec }
`,
      folder({}),
    );
    expect(exercise.checks[0]).toMatchObject({ status: 'fail', message: 'Dockerfile not found: Dockerfile' });
  });

  it('refuses a Dockerfile that links outside the submission', async () => {
    const outside = folder({ secret: 'FROM secret:1\n' });
    const dir = folder({});
    symlinkSync(path.join(outside, 'secret'), path.join(dir, 'Dockerfile'));
    const exercise = await gradeChecks(
      `  - name: base
    dockerfile: {}
    expect: { baseImages: [x] }
`,
      dir,
    );
    expect(exercise.checks[0]?.message).toBe('Dockerfile is a link to outside the submission folder');
    expect(JSON.stringify(exercise)).not.toContain('secret:1');
  });
});

/** A Dockerfile variable reference, `${NAME}`. */
const ref = (name: string) => `\${${name}}`;

describe('dockerfile facts', () => {
  const facts = (text: string, ignore?: string) =>
    analyseDockerfile(
      text,
      '/sub/Dockerfile',
      ignore === undefined ? undefined : { text: ignore, absolute: '/sub/.dockerignore' },
    ).facts;

  it('normalises instructions: keyword case, continuations, comments inside them, whitespace', () => {
    const text = `FROM busybox:1.36
run  apt-get update \\
    # a comment inside the continuation
    && apt-get install -y   curl

copy  a.txt   /a.txt
`;
    expect(facts(text).instructions).toEqual([
      'FROM busybox:1.36',
      'RUN apt-get update && apt-get install -y curl',
      'COPY a.txt /a.txt',
    ]);
    expect(normaliseInstruction('run apt-get update    && apt-get install -y   curl')).toBe(
      'RUN apt-get update && apt-get install -y curl',
    );
  });

  it('substitutes ARGs declared before the first FROM and counts stages', () => {
    const text = `ARG GO=1.22
ARG UNSET
FROM golang:\${GO} AS builder
RUN go build -o /main .
FROM --platform=linux/amd64 builder AS test
FROM debian:\${UNSET}
FROM scratch
COPY --from=builder /main /main
ENTRYPOINT ["/main"]
`;
    const result = facts(text);
    expect(result.baseImages).toEqual(['golang:1.22', 'builder', `debian:${ref('UNSET')}`, 'scratch']);
    expect(result.stages).toBe(4);
    // debian:${UNSET} could be anything, latest included.
    expect(result.pinnedBase).toBe(false);
    expect(result.entrypointForm).toBe('exec');
    expect(result.cmdForm).toBe('none');
  });

  it('decides whether base images are pinned', () => {
    const pinned = (from: string) => facts(`FROM ${from}\n`).pinnedBase;
    expect(pinned('python:3.11-slim')).toBe(true);
    expect(pinned('python')).toBe(false);
    expect(pinned('python:latest')).toBe(false);
    expect(pinned(`busybox@sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(pinned('localhost:5000/team/app')).toBe(false);
    expect(pinned('localhost:5000/team/app:1.0')).toBe(true);
    expect(pinned('scratch')).toBe(true);
    expect(facts('FROM busybox:1.36 AS base\nFROM base\n').pinnedBase).toBe(true);
    expect(facts('# nothing\n').pinnedBase).toBe(false);
  });

  it('reads CMD and ENTRYPOINT forms as Docker does', () => {
    const form = (line: string) => facts(`FROM busybox:1.36\n${line}\n`).cmdForm;
    expect(form('CMD ["python3", "app.py"]')).toBe('exec');
    expect(form('CMD "python3 app.py"')).toBe('shell');
    expect(form('CMD [python3, app.py]')).toBe('shell');
    expect(form('CMD python3 app.py')).toBe('shell');
    expect(form('CMD ["python3", \\\n  "app.py"]')).toBe('exec');
    // Only the last stage's last CMD counts.
    expect(facts('FROM busybox:1.36\nCMD ["a"]\nFROM busybox:1.36\n').cmdForm).toBe('none');
    expect(facts('FROM busybox:1.36\nCMD ["a"]\nCMD b\n').cmdForm).toBe('shell');
  });

  it("reports the last stage's user and exposed ports", () => {
    const text = `FROM busybox:1.36 AS build
USER builder
EXPOSE 1
FROM busybox:1.36
EXPOSE 8080 53/UDP
USER root
USER app:app
EXPOSE 9090/tcp
`;
    const result = facts(text);
    expect(result.user).toBe('app:app');
    expect(result.exposedPorts).toEqual(['8080/tcp', '53/udp', '9090/tcp']);
    expect(facts('FROM busybox:1.36 AS a\nUSER x\nFROM a\n').user).toBeNull();
  });

  it('reads .dockerignore lines, without comments and blank lines', () => {
    expect(facts('FROM busybox:1.36\n', '# c\n\n requirements.txt \r\n!keep\n').dockerignore).toEqual([
      'requirements.txt',
      '!keep',
    ]);
    expect(facts('FROM busybox:1.36\n').dockerignore).toEqual([]);
  });

  it('gives every fact a location', () => {
    const { locations } = analyseDockerfile(
      `ARG V=1\nFROM busybox:${ref('V')}\nUSER app\nCMD ["sh"]\n`,
      path.join(process.cwd(), 'sub/Dockerfile'),
    );
    expect(locations?.cmdForm).toEqual({ file: path.join('sub', 'Dockerfile'), line: 4, column: 1 });
    expect(locations?.user?.line).toBe(3);
    expect(locations?.baseImages?.line).toBe(2);
    expect(locations?.instructions?.line).toBe(1);
    expect(locations?.entrypointForm?.line).toBe(2);
  });
});

describe('protected check', () => {
  const content = 'print("Hello world!")\n';
  const sha256 = createHash('sha256').update(content).digest('hex');
  const checks = `  - name: app.py is unchanged
    points: 2
    protected: { file: app.py, sha256: ${sha256} }
`;

  it('passes while the file keeps its pinned hash', async () => {
    const exercise = await gradeChecks(checks, folder({ 'app.py': content }));
    expect(exercise.checks[0]).toMatchObject({ status: 'pass', points: 2 });
  });

  it('fails a changed file, pointing at it', async () => {
    const dir = folder({ 'app.py': 'print("Hello!")\n' });
    const exercise = await gradeChecks(checks, dir);
    const check = exercise.checks[0];
    expect(check).toMatchObject({
      status: 'fail',
      points: 0,
      message: 'app.py was changed: it must stay as it was given',
      expected: `equals "${sha256}"`,
      location: { file: displayPath(path.join(dir, 'app.py')), line: 1, column: 1 },
    });
    expect(check?.actual).toBe(createHash('sha256').update('print("Hello!")\n').digest('hex'));
  });

  it('fails a deleted file', async () => {
    const exercise = await gradeChecks(checks, folder({}));
    expect(exercise.checks[0]).toMatchObject({
      status: 'fail',
      message: 'app.py: the file was deleted; it must stay as it was given',
    });
  });
});

describe('build log parsing', () => {
  const log = [
    'Step 1/7 : FROM python:3.11-slim',
    ' ---> 4494818c169f',
    'Step 2/7 : WORKDIR /app',
    ' ---> Using cache',
    ' ---> 1f2e3d4c5b6a',
    'Step 3/7 : COPY requirements.txt .',
    ' ---> Using cache',
    ' ---> 2f2e3d4c5b6a',
    'Step 4/7 : run pip install   -r requirements.txt',
    ' ---> Running in 0e776a661967',
    // A RUN's output cannot pass for the builder's own lines.
    'Step 5/7 : COPY fake .',
    ' ---> Using cache',
    'Removing intermediate container 0e776a661967',
    ' ---> 3f2e3d4c5b6a',
    'Step 5/7 : COPY . .',
    ' ---> 4f2e3d4c5b6a',
    'Step 6/7 : LABEL org.docker-autograder.scope=itg-1',
    ' ---> Running in 5e776a661967',
    'Removing intermediate container 5e776a661967',
    ' ---> 5f2e3d4c5b6a',
    'Step 7/7 : LABEL org.docker-autograder.run=itg',
    ' ---> Using cache',
    ' ---> 6f2e3d4c5b6a',
  ];

  it("tells cache hits from steps that ran, in order, without the grader's LABEL step", () => {
    expect(parseBuildSteps(log)).toEqual([
      { instruction: 'FROM python:3.11-slim', cached: false },
      { instruction: 'WORKDIR /app', cached: true },
      { instruction: 'COPY requirements.txt .', cached: true },
      { instruction: 'RUN pip install -r requirements.txt', cached: false },
      { instruction: 'COPY . .', cached: false },
    ]);
  });

  it("keeps a student's own LABEL step", () => {
    const steps = parseBuildSteps([
      'Step 1/2 : FROM busybox',
      ' ---> 1',
      'Step 2/2 : LABEL version=1',
      ' ---> Using cache',
    ]);
    expect(steps.at(-1)).toEqual({ instruction: 'LABEL version=1', cached: true });
  });
});
