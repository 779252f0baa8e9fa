// exec, copy, stop, kill, restart, recreate, network and volume steps on the real engine, through
// grade(): each with a passing and a failing case.
import { afterAll, describe, expect, it } from 'vitest';
import {
  FILLER_CHECK,
  gradeInline,
  leftovers,
  removeTempDirs,
  stepsExercise,
  summary,
} from '../../support/inline-grading';

afterAll(removeTempDirs);

/** An exercise with a script step may name containers no run step starts (the script could). */
const OPEN = '  - script: { file: noop.sh }\n';
const NOOP = { 'noop.sh': 'true\n' };

function allPass(graded: Awaited<ReturnType<typeof gradeInline>>): void {
  expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
  for (const [name, status] of Object.entries(graded.statuses)) {
    expect(status, `${name}\n${summary(graded)}`).toBe('pass');
  }
}

describe('exec step', () => {
  it('runs commands (and tolerates a failure when allowed)', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'exec-ok',
        `
  - run: { name: box, image: busybox, command: [sleep, "60"] }
  - exec: { container: box, command: "mkdir -m 777 /shared; echo $GREETING > /shared/out", env: { GREETING: hi } }
  - exec: { container: box, command: [sh, -c, "pwd > /shared/where; id -u > /shared/who"], workdir: /etc, user: "1000" }
  - exec: { container: box, command: "exit 1", allowFailure: true }
`,
        `
  - name: the commands ran
    exec: { container: box, command: [cat, /shared/out, /shared/where, /shared/who] }
    expect: { stdout: "hi\\n/etc\\n1000" }
`,
      ),
    );
    allPass(graded);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails on a non-zero exit code with the code and the output', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'exec-fails',
        `
  - run: { name: box, image: busybox, command: [sleep, "60"] }
  - exec: { container: box, command: [sh, -c, "echo went wrong >&2; exit 2"] }
`,
        FILLER_CHECK,
      ),
    );
    expect(graded.exercise.setupError).toBe(
      '`sh -c "echo went wrong >&2; exit 2"` in container "box" exited with code 2, expected 0',
    );
    expect(graded.exercise.setupLog).toBe('went wrong');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

describe('copy step', () => {
  it('copies a submission folder into a container, and a container path into another', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'copy-ok',
        `
  - run: { name: a, image: busybox, command: [sleep, "60"] }
  - run: { name: b, image: busybox, command: [sleep, "60"] }
  - copy: { from: conf, to: { container: a, path: /etc } }
  - copy: { from: { container: a, path: /etc/conf/app.ini }, to: { container: b, path: /tmp } }
`,
        `
  - name: the folder is in a
    exec: { container: a, command: [cat, /etc/conf/app.ini, /etc/conf/sub/x] }
    expect: { stdout: "port=80\\nx" }
  - name: the file is in b
    exec: { container: b, command: [cat, /tmp/app.ini] }
    expect: { stdout: "port=80" }
`,
      ),
      { 'conf/app.ini': 'port=80\n', 'conf/sub/x': 'x\n' },
    );
    allPass(graded);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('refuses a source that leaves the submission through a symbolic link', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'copy-escape',
        `
  - run: { name: a, image: busybox, command: [sleep, "60"] }
  - copy: { from: secrets, to: { container: a, path: /tmp } }
`,
        FILLER_CHECK,
      ),
      { secrets: { symlink: '/etc/passwd' } },
    );
    expect(graded.exercise.setupError).toBe(
      'copy source "secrets" leads outside the submission folder through a symbolic link',
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails with the engine’s reason when the container path does not exist', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'copy-missing',
        `
  - run: { name: a, image: busybox, command: [sleep, "60"] }
  - run: { name: b, image: busybox, command: [sleep, "60"] }
  - copy: { from: { container: a, path: /nowhere }, to: { container: b, path: /tmp } }
`,
        FILLER_CHECK,
      ),
    );
    expect(graded.exercise.setupError).toMatch(
      /^a:\/nowhere could not be copied to b:\/tmp: .*(no such file|not found)/i,
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

describe('stop and kill steps', () => {
  it('stops a container gracefully, kills one, and sends a signal it handles', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'stop-kill-ok',
        `
  - run: { name: calm, image: busybox, command: [sleep, "60"] }
  - run: { name: hard, image: busybox, command: [sleep, "60"] }
  - run: { name: hup, image: busybox, command: "trap 'echo got HUP' HUP; echo ready; while true; do sleep 0.1; done", wait: { log: ready } }
  - stop: { container: calm, timeout: 1s }
  - kill: { container: hard }
  - kill: { container: hup, signal: HUP }
  - wait: { container: calm, exited: true, timeout: 1s }
  - wait: { container: hard, exited: true, timeout: 1s }
  - wait: { container: hup, log: "got HUP", timeout: 5s }
`,
        `
  - name: hup still runs
    exec: { container: hup, command: ["true"] }
    expect: { exitCode: 0 }
  - name: calm is stopped
    exec: { container: calm, command: ["true"] }
    expect: { exitCode: 0 }
`,
      ),
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.statuses['hup still runs']).toBe('pass');
    expect(graded.exercise.checks.find((check) => check.name === 'calm is stopped')?.message).toMatch(
      /container "calm" is not running \(exited/,
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails to stop a container that does not exist', async () => {
    const graded = await gradeInline(
      stepsExercise('stop-missing', `${OPEN}  - stop: { container: ghost }\n`, FILLER_CHECK),
      NOOP,
    );
    expect(graded.exercise.setupError).toBe('there is no container "ghost"');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails to kill a container that has already exited, saying how it ended', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'kill-exited',
        `
  - run: { name: job, image: busybox, command: "exit 0", wait: { exited: true } }
  - kill: { container: job }
`,
        FILLER_CHECK,
      ),
    );
    expect(graded.exercise.setupError).toBe('container "job" is not running (exited, exit code 0)');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

describe('restart step', () => {
  it('restarts a container and waits for it as its run step did', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'restart-ok',
        `
  - run: { name: web, image: busybox, command: "echo boot; exec sleep 60", wait: { log: boot } }
  - restart: { container: web }
  - wait: { container: web, log: { matches: boot, count: 2 }, timeout: 5s }
`,
        FILLER_CHECK,
      ),
    );
    allPass(graded);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails when the container is not ready again after the restart', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'restart-not-ready',
        `
  - run:
      name: web
      image: busybox
      command: "if [ -f /marker ]; then exec sleep 60; fi; touch /marker; mkdir -p /www; exec httpd -f -p 8080 -h /www"
      ports: [8080]
      wait: { http: { port: 8080 }, timeout: 2s }
  - restart: { container: web }
`,
        FILLER_CHECK,
      ),
    );
    expect(graded.exercise.setupError).toMatch(
      /^container "web" was not ready within 2s: GET \/ on port 8080: connection reset/,
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

describe('recreate step', () => {
  it('recreates a container with the same mounts: the named volume keeps its data, the rest is new', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'recreate-ok',
        `
  - run: { name: db, image: busybox, command: "echo ready; exec sleep 60", volumes: ["data:/data"], env: { ROLE: db }, wait: { log: ready } }
  - exec: { container: db, command: "echo saved > /data/x; echo lost > /tmp/y" }
  - recreate: { container: db }
`,
        `
  - name: the volume's data survived
    exec: { container: db, command: [cat, /data/x] }
    expect: { stdout: saved }
  - name: the container is new, with the same env
    exec: { container: db, command: "test ! -e /tmp/y && echo $ROLE" }
    expect: { stdout: db }
`,
      ),
    );
    allPass(graded);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails when the recreated container stops before it is ready', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'recreate-fails',
        `
  - run:
      name: db
      image: busybox
      command: "if [ -f /data/marker ]; then echo corrupted; exit 7; fi; touch /data/marker; echo ready; exec sleep 60"
      volumes: ["data:/data"]
      wait: { log: ready, timeout: 5s }
  - recreate: { container: db }
`,
        FILLER_CHECK,
      ),
    );
    expect(graded.exercise.setupError).toBe('container "db" stopped (exit code 7) before it was ready');
    expect(graded.exercise.setupLog).toBe('corrupted');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

describe('network and volume steps', () => {
  it('creates networks and volumes that containers share', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'network-volume-ok',
        `
  - network: { name: back, internal: true }
  - volume: { name: shared }
  - run: { name: server, image: busybox, command: "echo hello > /srv/index.html; exec httpd -f -p 80 -h /srv", networks: [back], volumes: ["shared:/srv"] }
  - run: { name: client, image: busybox, command: [sleep, "60"], networks: [back], volumes: ["shared:/mnt:ro"] }
`,
        `
  - name: the client reaches the server by name on the network
    exec: { container: client, command: [wget, -q, -O, "-", "http://server/index.html"] }
    expect: { stdout: hello }
  - name: the client sees the volume
    exec: { container: client, command: [cat, /mnt/index.html] }
    expect: { stdout: hello }
`,
      ),
    );
    allPass(graded);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails to create a network the engine refuses (a second "null" network)', async () => {
    const graded = await gradeInline(
      stepsExercise('network-fails', '  - network: { name: back, driver: "null" }\n', FILLER_CHECK),
    );
    expect(graded.exercise.setupError).toMatch(
      /^network "back" could not be created: .*only one instance of "null" network is allowed/,
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});
