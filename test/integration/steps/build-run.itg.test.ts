// build and run steps on the real engine, through grade(): each with a passing and a failing case.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { gradeBuild, leftovers, removeTempDirs } from '../../support/inline-grading';
import { itGradesSteps } from '../../support/steps-table';

afterAll(removeTempDirs);

const DOCKERFILE = { Dockerfile: 'FROM busybox\nWORKDIR /srv\n' };
const extraTag = `itg-steps-extra-${Date.now().toString(36)}:0.0.1`;

/** A check on the container "web" that passes whenever it runs. */
const WEB_RUNS = `
  - name: runs
    exec: { container: web, command: ["true"] }
    expect: { exitCode: 0 }
`;

describe('build step', () => {
  itGradesSteps([
    {
      title: 'builds, tags the image with extra tags, and removes them afterwards',
      id: 'build-tag',
      steps: `  - build: { name: app, tag: ${extraTag} }`,
      checks: `
  - name: the extra tag names the built image
    image: { name: ${extraTag} }
    expect: { workdir: /srv }
`,
      files: DOCKERFILE,
      statuses: { 'the extra tag names the built image': 'pass' },
      alsoExpect: () => {
        expect(execFileSync('docker', ['images', '-q', extraTag]).toString().trim()).toBe('');
      },
    },
    {
      title: 'refuses an extra tag that would take the name of an image the grader did not build',
      id: 'build-tag-taken',
      steps: '  - build: { name: app, tag: busybox:latest }',
      checks: `
  - name: busybox is still busybox
    image: { name: busybox:latest }
    expect: { workdir: { not: /srv } }
`,
      files: DOCKERFILE,
      setupError: /cannot be tagged busybox:latest: an image the grader did not build/,
      statuses: { 'busybox is still busybox': 'pass' },
    },
  ]);

  it('fails with the build log when the Dockerfile does not build', async () => {
    const graded = await gradeBuild('steps/build-broken', 'FROM busybox\nRUN echo building && exit 3\n');
    expect(graded.exercise.setupError).toMatch(/the image "app" did not build/);
    expect(graded.exercise.setupLog).toMatch(/building/);
    expect(graded.statuses['the image exists']).toBe('fail');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

describe('run step', () => {
  itGradesSteps([
    {
      title: 'runs with volumes, networks and aliases, user, workdir, hostname, healthcheck and waits',
      id: 'run-everything',
      steps: `
  - network: { name: front }
  - volume: { name: data }
  - run:
      name: web
      image: busybox
      command: "echo started; exec httpd -f -p 8080 -h /www"
      ports: [8080]
      volumes: ["./www:/www:ro", "data:/data", { source: cache, target: /cache }]
      networks: [{ name: front, aliases: [webby] }, bridge]
      workdir: /data
      hostname: webhost
      healthcheck: { test: "wget -q -O /dev/null http://127.0.0.1:8080/index.html", interval: 0.2s, retries: 20 }
      wait: { log: { matches: "^started$", count: 1 }, port: 8080, http: { port: 8080, path: /index.html, status: 200 }, healthy: true, timeout: 20s }
  - run:
      name: client
      image: busybox
      command: [sleep, "300"]
      user: "1000:1000"
      networks: [front]
`,
      checks: `
  - name: serves the bind-mounted folder
    http: { container: web, port: 8080, path: /index.html }
    expect: { status: 200, body: { contains: hello from the submission } }
  - name: hostname, workdir
    exec: { container: web, command: [sh, -c, "hostname; pwd"] }
    expect: { stdout: "webhost\\n/data" }
  - name: the bind mount is read-only
    exec: { container: web, command: [sh, -c, "touch /www/x"] }
    expect: { exitCode: { not: 0 } }
  - name: the named volume and the implicit one are writable
    exec: { container: web, command: [sh, -c, "echo kept > /data/f && echo kept > /cache/f && cat /data/f /cache/f"] }
    expect: { stdout: "kept\\nkept" }
  - name: the alias resolves on the user-defined network
    exec: { container: client, command: [wget, -q, -O, "-", "http://webby:8080/index.html"] }
    expect: { stdout: { contains: hello from the submission } }
  - name: the user is applied
    exec: { container: client, command: [id, -u] }
    expect: { stdout: "1000" }
`,
      files: { 'www/index.html': 'hello from the submission\n' },
      allPass: true,
    },
    {
      title: 'restarts a crashing container under an on-failure policy (a log line counted twice)',
      id: 'run-restart',
      steps: `
  - run:
      name: flaky
      image: busybox
      command: "echo boot; sleep 0.2; exit 1"
      restart: on-failure
      wait: { log: { matches: boot, count: 2 }, timeout: 20s }
`,
    },
    {
      title: 'refuses a bind mount that leaves the submission through a symbolic link',
      id: 'run-bind-escape',
      steps: '  - run: { name: web, image: busybox, command: [sleep, "60"], volumes: ["./html:/www"] }',
      checks: WEB_RUNS,
      files: { html: { symlink: '/etc' } },
      setupError: 'bind mount source "./html" leads outside the submission folder through a symbolic link',
      statuses: { runs: 'fail' },
    },
    {
      title: 'fails when a log line is printed fewer times than the wait expects, saying how many',
      id: 'run-log-count',
      steps: `
  - run:
      name: web
      image: busybox
      command: "echo ready; exec sleep 60"
      wait: { log: { matches: ready, count: 3 }, timeout: 1s }
`,
      checks: WEB_RUNS,
      setupError:
        'container "web" was not ready within 1s: 1 output line matched /ready/, expected at least 3',
      setupLog: 'ready',
    },
  ]);
});
