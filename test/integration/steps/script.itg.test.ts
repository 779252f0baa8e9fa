// The script step on the real engine, through grade(): the student's docker commands run with a
// scrubbed environment, what they create is removed afterwards, and a time limit kills them all.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_UID } from '../../../src/steps/client-user';
import {
  FILLER_CHECK,
  gradeInline,
  leftovers,
  namedLeftovers,
  removeTempDirs,
  stepsExercise,
  submissionDir,
  summary,
  uniqueName,
} from '../../support/inline-grading';

afterAll(removeTempDirs);

/** Secrets of the grader's own environment that a student's script must never see. */
const SECRETS: Record<string, string> = {
  INPUT_TOKEN: 'input-secret',
  GITHUB_TOKEN: 'github-secret',
  ACTIONS_RUNTIME_TOKEN: 'actions-secret',
  RUNNER_TEMP: '/runner-temp-secret',
};

describe('script step', () => {
  beforeEach(() => {
    for (const [key, value] of Object.entries(SECRETS)) process.env[key] = value;
  });
  afterEach(() => {
    for (const key of Object.keys(SECRETS)) delete process.env[key];
  });

  it('runs the student’s docker commands with a scrubbed environment and removes what they made', async () => {
    const name = uniqueName('itgscript');
    const script = `
set -eu
echo "args: $*"
env | sort | sed 's/^/env: /'
docker network create ${name}-net
docker volume create ${name}-vol
docker build -q -t ${name}-img:1 .
docker run -d --name ${name}-web --network ${name}-net -v ${name}-vol:/data ${name}-img:1 sleep 60
`;
    const graded = await gradeInline(
      stepsExercise(
        'script-ok',
        '  - script: { file: run.sh, args: [one, two] }\n',
        `
  - name: the script's container runs its image
    exec: { container: ${name}-web, command: [cat, /built] }
    expect: { stdout: built }
`,
      ),
      { 'run.sh': script, Dockerfile: 'FROM busybox\nRUN echo built > /built\n' },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.statuses["the script's container runs its image"], summary(graded)).toBe('pass');
    const output = graded.log.filter((line) => line.startsWith('| ')).join('\n');
    expect(output).toContain('args: one two');
    const envNames = graded.log
      .filter((line) => line.startsWith('| env: '))
      .map((line) => line.slice('| env: '.length).split('=')[0]);
    // The client container's own: HOSTNAME (Docker's), BASH_XTRACEFD (where the grader's trace
    // goes), DOCKER_BUILDKIT=0 (the classic builder).
    expect(envNames.sort()).toEqual(
      [
        'BASH_XTRACEFD',
        'DOCKER_BUILDKIT',
        'DOCKER_HOST',
        'HOME',
        'HOSTNAME',
        'LANG',
        'LC_ALL',
        'PATH',
        'PWD',
        'SHLVL',
        '_',
      ].sort(),
    );
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
    expect(await namedLeftovers(name)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails on a non-zero exit code with the code and the output tail', async () => {
    const graded = await gradeInline(
      stepsExercise('script-fails', '  - script: { file: scripts/run.sh }\n', FILLER_CHECK),
      { 'scripts/run.sh': 'echo "about to fail"\ndocker run --rm busybox sh -c "exit 3"\n' },
    );
    expect(graded.exercise.setupError).toBe('scripts/run.sh exited with code 3, expected exit code 0');
    expect(graded.exercise.setupLog).toBe('about to fail');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('names the first error of a failed script even when it scrolled out of the tail', async () => {
    // The daemon's refusal comes first; 60 lines of noise push it out of the 40-line tail.
    const script = [
      'docker inspect no-such-thing-anywhere || true',
      'for i in $(seq 1 60); do echo "noise $i"; done',
      'exit 4',
    ].join('\n');
    const graded = await gradeInline(
      stepsExercise('script-first-error', '  - script: { file: run.sh }\n', FILLER_CHECK),
      { 'run.sh': script },
    );
    expect(graded.exercise.setupError).toBe('run.sh exited with code 4, expected exit code 0');
    expect(graded.exercise.setupLog).not.toContain('no-such-thing-anywhere');
    expect(graded.exercise.firstError).toMatch(/^Error.*no-such-thing-anywhere/);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('tolerates a non-zero exit code when the step allows it', async () => {
    const graded = await gradeInline(
      stepsExercise('script-allowed', '  - script: { file: run.sh, allowFailure: true }\n', FILLER_CHECK),
      { 'run.sh': 'exit 1\n' },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
  });

  it('stops the whole process group at the time limit and removes the containers it started', async () => {
    const name = uniqueName('itgslow');
    const marker = 600 + Math.floor(Math.random() * 300);
    const started = Date.now();
    const graded = await gradeInline(
      stepsExercise('script-timeout', '  - script: { file: run.sh, timeout: 6s }\n', FILLER_CHECK),
      {
        'run.sh': `sleep ${marker} &\ndocker run -d --name ${name}-bg busybox sleep 60\necho started\ndocker run --name ${name}-fg busybox sleep 60\n`,
      },
    );
    expect(graded.exercise.setupError).toBe(
      `run.sh did not finish within 6s; it was stopped; it was still in \`docker run --name ${name}-fg busybox sleep 60\`: without -d, docker run waits for the container to exit`,
    );
    expect(graded.exercise.setupLog).toMatch(/started/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(processesMatching(`sleep ${marker}`)).toEqual([]);
    expect(await namedLeftovers(name)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it("runs as a uid of its own: what it writes on the host side is never root's, and the folder is as it was", async () => {
    const submission = submissionDir({
      'run.sh': [
        'set -eu',
        'id -u > uid.txt',
        'mkdir -p made && echo "from the script" > made/file.txt',
        'echo "in an existing folder" > shared/host.txt',
        // What only a root could do on the host side is refused.
        'if chown 0:0 made/file.txt 2>/dev/null; then echo chowned; fi',
        '',
      ].join('\n'),
      'shared/.keep': '',
    });
    const modesBefore = [submission, path.join(submission, 'shared')].map((dir) => statSync(dir).mode);
    const graded = await gradeInline(
      stepsExercise('script-uid', '  - script: { file: run.sh }\n', FILLER_CHECK),
      {},
      { submission },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    const uid = Number(readFileSync(path.join(submission, 'uid.txt'), 'utf8').trim());
    expect(uid).toBe(CLIENT_UID);
    expect(uid).not.toBe(0);
    expect(uid).not.toBe(process.getuid?.());
    const written = statSync(path.join(submission, 'made/file.txt'));
    expect(written.uid).toBe(CLIENT_UID);
    expect(statSync(path.join(submission, 'shared/host.txt')).uid).toBe(CLIENT_UID);
    expect(graded.log.join('\n')).not.toContain('chowned');
    // Group-writable in the grader's group: the grader can still change and delete it.
    expect(written.gid).toBe(process.getgid?.());
    expect(written.mode & 0o020).toBe(0o020);
    expect(statSync(path.join(submission, 'made')).mode & 0o020).toBe(0o020);
    // The submission's folders were opened for the step, and closed again.
    expect([submission, path.join(submission, 'shared')].map((dir) => statSync(dir).mode)).toEqual(
      modesBefore,
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('refuses a script that is a symbolic link out of the submission', async () => {
    const graded = await gradeInline(
      stepsExercise('script-escape', '  - script: { file: run.sh }\n', FILLER_CHECK),
      { 'run.sh': { symlink: '/bin/true' } },
    );
    expect(graded.exercise.setupError).toBe(
      'script "run.sh" leads outside the submission folder through a symbolic link',
    );
  });
});

function processesMatching(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
