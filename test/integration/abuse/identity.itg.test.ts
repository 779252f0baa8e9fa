// Images by identity and faults attributed right, tried as a determined student would, on the
// real engine, through grade() and the student's own docker CLI (issue 13, parts 3 and 6).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import { CLIENT_IMAGE, pinnedClientImage } from '../../../src/steps/client-image';
import { type Graded, gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';

const execFileAsync = promisify(execFile);
const docker = async (...args: string[]): Promise<string> =>
  (await execFileAsync('docker', args, { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();

const suffix = randomBytes(4).toString('hex');
/** Another run's grader-built image (unlabelled, as the grader's builds are) and its tag on busybox. */
const foreignRun = `agforeign${suffix}`;
const foreignBuild = `docker-autograder/${foreignRun}-1-web:latest`;
const foreignTagOnBase = `${foreignRun}-1-mybox:latest`;
const clientTag = `itg-identity-client-${suffix}:1`;
const gradedRuns: string[] = [];
let foreignId = '';

async function grade(yaml: string[], files: Record<string, string | { symlink: string }>, prefix: string) {
  const graded = await gradeInline(['version: 1', 'title: identity', ...yaml, ''].join('\n'), files, {
    prefix,
  });
  gradedRuns.push(graded.runId);
  return graded;
}

function studentOutput(graded: Graded): string {
  return graded.log
    .filter((line) => line.startsWith('| '))
    .map((line) => line.slice(2))
    .join('\n');
}

beforeAll(async () => {
  const context = mkdtempSync(path.join(os.tmpdir(), 'itg-identity-foreign-'));
  try {
    writeFileSync(path.join(context, 'secret'), `another run's secret ${suffix}\n`);
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM busybox\nCOPY secret /secret\n');
    await docker('build', '-q', '-t', foreignBuild, context);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  foreignId = await docker('image', 'inspect', '--format', '{{.Id}}', foreignBuild);
  await docker('tag', 'busybox', foreignTagOnBase);
}, 120_000);

afterAll(async () => {
  await docker('rmi', foreignBuild, foreignTagOnBase).catch(() => undefined);
  await docker('rmi', clientTag).catch(() => undefined);
  removeTempDirs();
  for (const runId of gradedRuns) expect(await leftovers(runId)).toEqual([]);
}, 120_000);

/** A check the scripts below never satisfy: the exercise fails (exit 1) unless the engine is blamed (exit 3). */
const NO_CHECK = [
  'checks:',
  '  - name: web was made',
  '    container: { name: web }',
  '    expect: { exists: true }',
];

/** Grades the exercise `abuse/<id>` of one step, the script run.sh, and NO_CHECK. */
function gradeScript(id: string, files: Record<string, string | { symlink: string }>, prefix: string) {
  return grade([`id: abuse/${id}`, 'steps:', '  - script: { file: run.sh }', ...NO_CHECK], files, prefix);
}

/** Expects the exercise failed as the student's fault: the script's exit 1, not the engine's (exit 3). */
function expectStudentsFailure(graded: Graded): void {
  expect(graded.exercise.status, summary(graded)).toBe('fail');
  expect(graded.exercise.setupError, summary(graded)).toMatch(/exited with code 1\b/);
}

/** Lines of script, one a command (by name): each prints `<name>=USED` if it succeeds, else `<name>=REFUSED`. */
function attempts(commands: Record<string, string>): string[] {
  return Object.entries(commands).map(
    ([name, command]) =>
      `if ${command} >/dev/null 2>&1; then echo "${name}=USED"; else echo "${name}=REFUSED"; fi`,
  );
}

/**
 * Grades `abuse/<id>`, a script that runs `before`, prints how many of the hidden objects a
 * listing (`listed`, a shell command that counts them) shows, tries each of `refused`, then runs
 * `after`. Expects the listing to show none, and every one of `refused` refused. The grading and
 * what the script printed.
 */
async function gradeHidden(
  id: string,
  prefix: string,
  script: { before?: string[]; listed: string; refused: Record<string, string>; after: string[] },
): Promise<{ graded: Graded; output: string }> {
  const lines = [
    ...(script.before ?? []),
    `echo "LISTED=$(${script.listed})"`,
    ...attempts(script.refused),
    ...script.after,
    '',
  ];
  const graded = await gradeScript(id, { 'run.sh': lines.join('\n') }, prefix);
  const output = studentOutput(graded);
  expect(output, summary(graded)).toContain('LISTED=0');
  for (const name of Object.keys(script.refused))
    expect(output, summary(graded)).toContain(`${name}=REFUSED`);
  return { graded, output };
}

const LOOKALIKE_DOCKERFILE = 'FROM busybox\nRUN true\nCOPY forged /forged\nCMD ["cat", "/forged"]\n';

describe('a lookalike image does not pass for the image it is named after', () => {
  const yaml = [
    'id: abuse/lookalike-hello',
    'steps:',
    '  - script: { file: run.sh }',
    'checks:',
    '  - name: hello ran hello-world',
    '    container: { name: hello }',
    '    expect: { image: { matches: "^hello-world(:latest)?$" } }',
    '  - name: hello-world is the real one',
    '    image: { name: hello-world }',
    '    expect: { cmd: ["/hello"] }',
    '  - name: no forged file in hello-world',
    '    file: { image: hello-world, path: /forged }',
    '    expect: { exists: false }',
  ];

  it('container, image and file checks: the lookalike fails what the real image passes', async () => {
    const forged = await grade(
      yaml,
      {
        'run.sh': 'set -e\ndocker build -q -t hello-world .\ndocker run --name hello hello-world\n',
        Dockerfile: LOOKALIKE_DOCKERFILE,
        forged: 'Hello from Docker!\n',
      },
      'idl',
    );
    expect(studentOutput(forged), summary(forged)).toContain('Hello from Docker!');
    expect(forged.statuses['hello ran hello-world'], summary(forged)).toBe('fail');
    expect(forged.exercise.checks[0]?.actual, summary(forged)).toMatch(
      /student's own image tagged hello-world/,
    );
    // The image and file checks look at the real hello-world, not at the student's tag of it.
    expect(forged.statuses['hello-world is the real one'], summary(forged)).toBe('pass');
    expect(forged.statuses['no forged file in hello-world'], summary(forged)).toBe('pass');

    const real = await grade(yaml, { 'run.sh': 'docker run --name hello hello-world\n' }, 'idr');
    expect(real.statuses, summary(real)).toEqual({
      'hello ran hello-world': 'pass',
      'hello-world is the real one': 'pass',
      'no forged file in hello-world': 'pass',
    });
  }, 240_000);

  it('image check basedOn: an image built FROM a lookalike nginx is not based on nginx', async () => {
    const yaml = [
      'id: abuse/lookalike-base',
      'steps:',
      '  - script: { file: run.sh }',
      'checks:',
      '  - name: web is built from nginx',
      '    image: { name: web, basedOn: nginx }',
      '    expect: { basedOn: true }',
    ];
    const forged = await grade(
      yaml,
      {
        'run.sh': [
          'set -e',
          'base=$(docker build -q -t nginx -f fake.Dockerfile .)',
          'sed "s/BASE/$base/" web.in > web.Dockerfile',
          'docker build -q -t web -f web.Dockerfile .',
          '',
        ].join('\n'),
        'fake.Dockerfile': LOOKALIKE_DOCKERFILE,
        'web.in': 'FROM BASE\nCOPY forged /usr/share/nginx/html/index.html\n',
        forged: 'hi\n',
      },
      'idb',
    );
    expect(forged.statuses['web is built from nginx'], summary(forged)).toBe('fail');
    const real = await grade(
      yaml,
      {
        'run.sh': 'set -e\ndocker build -q -t web .\n',
        Dockerfile: 'FROM nginx\nCOPY index.html /usr/share/nginx/html/index.html\n',
        'index.html': 'hi\n',
      },
      'idc',
    );
    expect(real.statuses['web is built from nginx'], summary(real)).toBe('pass');
  }, 240_000);
});

describe('another run’s images do not exist for the student', () => {
  it('list, inspect, run, save, tag and history are refused or not found; the bystander is unchanged', async () => {
    const before = await docker('image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}}', foreignId);
    const { output } = await gradeHidden('foreign-images', 'idf', {
      listed: `docker images -a --no-trunc --format '{{.ID}} {{.Repository}}' | grep -c -e ${foreignId} -e ${foreignRun}`,
      refused: {
        INSPECT: `docker image inspect ${foreignBuild}`,
        INSPECT_ID: `docker image inspect ${foreignId}`,
        INSPECT_PREFIX: `docker image inspect ${foreignId.slice(7, 19)}`,
        RUN: `docker run --rm ${foreignBuild} cat /secret`,
        RUN_ID: `docker run --rm ${foreignId} cat /secret`,
        SAVE: `docker save -o /tmp/stolen.tar ${foreignBuild}`,
        TAG: `docker tag ${foreignBuild} stolen`,
        HISTORY: `docker history ${foreignBuild}`,
        RUN_TAG_ON_BASE: `docker run --rm ${foreignTagOnBase} true`,
      },
      // The base image itself stays usable.
      after: attempts({ BASE: 'docker run --rm busybox true' }),
    });
    expect(output).toContain('BASE=USED');
    expect(output).not.toContain("another run's secret");
    expect(await docker('image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}}', foreignId)).toBe(
      before,
    );
  }, 240_000);
});

describe('the client image is pinned by id for the run', () => {
  it('a tag moved mid-run changes neither what runs nor goes unreported', async () => {
    const clientId = await docker('image', 'inspect', '--format', '{{.Id}}', CLIENT_IMAGE);
    // A tag of this test's own: the shared client tag is never moved (other gradings use it).
    await docker('tag', clientId, clientTag);
    const engine = createDockerEngine(`agidentity${suffix}`);
    const heard: string[] = [];
    expect(await pinnedClientImage(engine, clientTag, (line) => heard.push(line))).toBe(clientId);
    await docker('tag', 'busybox', clientTag);
    const pinned = await pinnedClientImage(engine, clientTag, (line) => heard.push(line));
    expect(pinned).toBe(clientId);
    expect(heard).toHaveLength(1);
    expect(heard[0]).toContain(`${clientTag} now points at`);
    // What runs from the pinned id is the client (bash and the docker CLI), not busybox.
    const ran = await docker('run', '--rm', pinned, 'bash', '-c', 'command -v docker');
    expect(ran).toMatch(/docker$/);
  }, 120_000);
});

describe('faults that are the student’s own', () => {
  it('the client container is hidden: a self-kill is refused and the failing script is graded exit 1, not 3', async () => {
    const { graded, output } = await gradeHidden('self-kill', 'idk', {
      before: ['me=$(hostname)', "full=$(grep -o '[0-9a-f]\\{64\\}' /proc/self/cgroup | head -n 1)"],
      listed: 'docker ps -aq | wc -l',
      refused: {
        INSPECT: 'docker inspect "$me"',
        INSPECT_FULL: 'docker inspect "$full"',
        KILL: 'docker kill "$me"',
        KILL_FULL: 'docker kill "$full"',
        STOP: 'docker stop -t 0 "$me"',
      },
      after: [...attempts({ RM: 'docker rm -f "$me"' }), 'echo STILL-ALIVE', 'exit 1'],
    });
    // `docker rm -f` says nothing of a container it does not find; the gate refused it all the same.
    expect(graded.log.join('\n'), summary(graded)).toMatch(
      /refused by the grader: DELETE \/containers\/[0-9a-f]{12}: .*left alone/,
    );
    expect(output).toContain('STILL-ALIVE');
    expectStudentsFailure(graded);
  }, 240_000);

  it('a symlink loop in a bind source is the student’s failure (exit 1), not an engine error', async () => {
    const graded = await gradeScript(
      'symlink-loop',
      {
        'run.sh': 'docker run --rm -v "$PWD/loop/x:/x" busybox true\nexit 1\n',
        loop: { symlink: 'loop' },
      },
      'ids',
    );
    expect(studentOutput(graded), summary(graded)).toMatch(/too many levels of symbolic links/);
    expectStudentsFailure(graded);
  }, 240_000);

  it('a reference the engine answers with a redirect is the student’s failure (exit 1), not an engine error', async () => {
    // The engine answers GET /containers/../json with 301 (its router cleans the path).
    const graded = await gradeScript(
      'redirect',
      { 'run.sh': 'docker container inspect .. ; docker image inspect .. ; exit 1\n' },
      'idr',
    );
    expectStudentsFailure(graded);
  }, 240_000);
});
