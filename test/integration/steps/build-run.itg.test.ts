// build and run steps on the real engine, through grade(): each with a passing and a failing case.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { gradeBuild, gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';

afterAll(removeTempDirs);

describe('build step', () => {
  it('builds, tags the image with extra tags, and removes them afterwards', async () => {
    const extraTag = `itg-steps-extra-${Date.now().toString(36)}:0.0.1`;
    const graded = await gradeInline(
      `
version: 1
id: steps/build-tag
title: build with tags
steps:
  - build: { name: app, tag: ${extraTag} }
checks:
  - name: the extra tag names the built image
    image: { name: ${extraTag} }
    expect: { workdir: /srv }
`,
      { Dockerfile: 'FROM busybox\nWORKDIR /srv\n' },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.statuses['the extra tag names the built image'], summary(graded)).toBe('pass');
    expect(execFileSync('docker', ['images', '-q', extraTag]).toString().trim()).toBe('');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails with the build log when the Dockerfile does not build', async () => {
    const graded = await gradeBuild('steps/build-broken', 'FROM busybox\nRUN echo building && exit 3\n');
    expect(graded.exercise.setupError).toMatch(/the image "app" did not build/);
    expect(graded.exercise.setupLog).toMatch(/building/);
    expect(graded.statuses['the image exists']).toBe('fail');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('refuses an extra tag that would take the name of an image the grader did not build', async () => {
    const graded = await gradeInline(
      `
version: 1
id: steps/build-tag-taken
title: tag taken
steps:
  - build: { name: app, tag: busybox:latest }
checks:
  - name: busybox is still busybox
    image: { name: busybox:latest }
    expect: { workdir: { not: /srv } }
`,
      { Dockerfile: 'FROM busybox\nWORKDIR /srv\n' },
    );
    expect(graded.exercise.setupError).toMatch(
      /cannot be tagged busybox:latest: an image the grader did not build/,
    );
    expect(graded.statuses['busybox is still busybox']).toBe('pass');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

describe('run step', () => {
  it('runs with volumes, networks and aliases, user, workdir, hostname, healthcheck and waits', async () => {
    const graded = await gradeInline(
      `
version: 1
id: steps/run-everything
title: run with everything
steps:
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
checks:
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
      { 'www/index.html': 'hello from the submission\n' },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    for (const [name, status] of Object.entries(graded.statuses))
      expect(status, `${name}\n${summary(graded)}`).toBe('pass');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('restarts a crashing container under an on-failure policy (a log line counted twice)', async () => {
    const graded = await gradeInline(
      `
version: 1
id: steps/run-restart
title: restart policy
steps:
  - run:
      name: flaky
      image: busybox
      command: "echo boot; sleep 0.2; exit 1"
      restart: on-failure
      wait: { log: { matches: boot, count: 2 }, timeout: 20s }
checks:
  - name: the image is there
    image: { name: busybox }
    expect: { cmd: { contains: sh } }
`,
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('refuses a bind mount that leaves the submission through a symbolic link', async () => {
    const graded = await gradeInline(
      `
version: 1
id: steps/run-bind-escape
title: bind escape
steps:
  - run: { name: web, image: busybox, command: [sleep, "60"], volumes: ["./html:/www"] }
checks:
  - name: runs
    exec: { container: web, command: ["true"] }
    expect: { exitCode: 0 }
`,
      { html: { symlink: '/etc' } },
    );
    expect(graded.exercise.setupError).toBe(
      'bind mount source "./html" leads outside the submission folder through a symbolic link',
    );
    expect(graded.statuses.runs).toBe('fail');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails when a log line is printed fewer times than the wait expects, saying how many', async () => {
    const graded = await gradeInline(
      `
version: 1
id: steps/run-log-count
title: log count
steps:
  - run:
      name: web
      image: busybox
      command: "echo ready; exec sleep 60"
      wait: { log: { matches: ready, count: 3 }, timeout: 1s }
checks:
  - name: runs
    exec: { container: web, command: ["true"] }
    expect: { exitCode: 0 }
`,
    );
    expect(graded.exercise.setupError).toBe(
      'container "web" was not ready within 1s: 1 output line matched /ready/, expected at least 3',
    );
    expect(graded.exercise.setupLog).toBe('ready');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});
