// exec, copy, stop, kill, restart, recreate, network and volume steps on the real engine, through
// grade(): each with a passing and a failing case.
import { afterAll, describe, expect } from 'vitest';
import { check, removeTempDirs } from '../../support/inline-grading';
import { itGradesSteps, sleeping } from '../../support/steps-table';

afterAll(removeTempDirs);

/** An exercise with a script step may name containers no run step starts (the script could). */
const OPEN = '  - script: { file: noop.sh }\n';
const NOOP = { 'noop.sh': 'true\n' };

describe('exec step', () => {
  itGradesSteps([
    {
      title: 'runs commands (and tolerates a failure when allowed)',
      id: 'exec-ok',
      steps: `${sleeping('box')}
  - exec: { container: box, command: "mkdir -m 777 /shared; echo $GREETING > /shared/out", env: { GREETING: hi } }
  - exec: { container: box, command: [sh, -c, "pwd > /shared/where; id -u > /shared/who"], workdir: /etc, user: "1000" }
  - exec: { container: box, command: "exit 1", allowFailure: true }
`,
      checks: `
  - name: the commands ran
    exec: { container: box, command: [cat, /shared/out, /shared/where, /shared/who] }
    expect: { stdout: "hi\\n/etc\\n1000" }
`,
      allPass: true,
    },
    {
      title: 'fails on a non-zero exit code with the code and the output',
      id: 'exec-fails',
      steps: `${sleeping('box')}
  - exec: { container: box, command: [sh, -c, "echo went wrong >&2; exit 2"] }
`,
      setupError: '`sh -c "echo went wrong >&2; exit 2"` in container "box" exited with code 2, expected 0',
      setupLog: 'went wrong',
    },
  ]);
});

describe('copy step', () => {
  itGradesSteps([
    {
      title: 'copies a submission folder into a container, and a container path into another',
      id: 'copy-ok',
      steps: `${sleeping('a', 'b')}
  - copy: { from: conf, to: { container: a, path: /etc } }
  - copy: { from: { container: a, path: /etc/conf/app.ini }, to: { container: b, path: /tmp } }
`,
      checks: `
  - name: the folder is in a
    exec: { container: a, command: [cat, /etc/conf/app.ini, /etc/conf/sub/x] }
    expect: { stdout: "port=80\\nx" }
  - name: the file is in b
    exec: { container: b, command: [cat, /tmp/app.ini] }
    expect: { stdout: "port=80" }
`,
      files: { 'conf/app.ini': 'port=80\n', 'conf/sub/x': 'x\n' },
      allPass: true,
    },
    {
      title: 'refuses a source that leaves the submission through a symbolic link',
      id: 'copy-escape',
      steps: `${sleeping('a')}
  - copy: { from: secrets, to: { container: a, path: /tmp } }
`,
      files: { secrets: { symlink: '/etc/passwd' } },
      setupError: 'copy source "secrets" leads outside the submission folder through a symbolic link',
    },
    {
      title: 'fails with the engine’s reason when the container path does not exist',
      id: 'copy-missing',
      steps: `${sleeping('a', 'b')}
  - copy: { from: { container: a, path: /nowhere }, to: { container: b, path: /tmp } }
`,
      setupError: /^a:\/nowhere could not be copied to b:\/tmp: .*(no such file|not found)/i,
    },
  ]);
});

describe('stop and kill steps', () => {
  itGradesSteps([
    {
      title: 'stops a container gracefully, kills one, and sends a signal it handles',
      id: 'stop-kill-ok',
      steps: `${sleeping('calm', 'hard')}
  - run: { name: hup, image: busybox, command: "trap 'echo got HUP' HUP; echo ready; while true; do sleep 0.1; done", wait: { log: ready } }
  - stop: { container: calm, timeout: 1s }
  - kill: { container: hard }
  - kill: { container: hup, signal: HUP }
  - wait: { container: calm, exited: true, timeout: 1s }
  - wait: { container: hard, exited: true, timeout: 1s }
  - wait: { container: hup, log: "got HUP", timeout: 5s }
`,
      checks: `
  - name: hup still runs
    exec: { container: hup, command: ["true"] }
    expect: { exitCode: 0 }
  - name: calm is stopped
    exec: { container: calm, command: ["true"] }
    expect: { exitCode: 0 }
`,
      statuses: { 'hup still runs': 'pass' },
      alsoExpect: (graded) => {
        expect(check(graded, 'calm is stopped').message).toMatch(/container "calm" is not running \(exited/);
      },
    },
    {
      title: 'fails to stop a container that does not exist',
      id: 'stop-missing',
      steps: `${OPEN}  - stop: { container: ghost }\n`,
      files: NOOP,
      setupError: 'there is no container "ghost"',
    },
    {
      title: 'fails to kill a container that has already exited, saying how it ended',
      id: 'kill-exited',
      steps: `
  - run: { name: job, image: busybox, command: "exit 0", wait: { exited: true } }
  - kill: { container: job }
`,
      setupError: 'container "job" is not running (exited, exit code 0)',
    },
  ]);
});

describe('restart step', () => {
  itGradesSteps([
    {
      title: 'restarts a container and waits for it as its run step did',
      id: 'restart-ok',
      steps: `
  - run: { name: web, image: busybox, command: "echo boot; exec sleep 60", wait: { log: boot } }
  - restart: { container: web }
  - wait: { container: web, log: { matches: boot, count: 2 }, timeout: 5s }
`,
      allPass: true,
    },
    {
      title: 'fails when the container is not ready again after the restart',
      id: 'restart-not-ready',
      steps: `
  - run:
      name: web
      image: busybox
      command: "if [ -f /marker ]; then exec sleep 60; fi; touch /marker; mkdir -p /www; exec httpd -f -p 8080 -h /www"
      ports: [8080]
      wait: { http: { port: 8080 }, timeout: 2s }
  - restart: { container: web }
`,
      setupError: /^container "web" was not ready within 2s: GET \/ on port 8080: connection reset/,
    },
  ]);
});

describe('recreate step', () => {
  itGradesSteps([
    {
      title: 'recreates a container with the same mounts: the named volume keeps its data, the rest is new',
      id: 'recreate-ok',
      steps: `
  - run: { name: db, image: busybox, command: "echo ready; exec sleep 60", volumes: ["data:/data"], env: { ROLE: db }, wait: { log: ready } }
  - exec: { container: db, command: "echo saved > /data/x; echo lost > /tmp/y" }
  - recreate: { container: db }
`,
      checks: `
  - name: the volume's data survived
    exec: { container: db, command: [cat, /data/x] }
    expect: { stdout: saved }
  - name: the container is new, with the same env
    exec: { container: db, command: "test ! -e /tmp/y && echo $ROLE" }
    expect: { stdout: db }
`,
      allPass: true,
    },
    {
      title: 'fails when the recreated container stops before it is ready',
      id: 'recreate-fails',
      steps: `
  - run:
      name: db
      image: busybox
      command: "if [ -f /data/marker ]; then echo corrupted; exit 7; fi; touch /data/marker; echo ready; exec sleep 60"
      volumes: ["data:/data"]
      wait: { log: ready, timeout: 5s }
  - recreate: { container: db }
`,
      setupError: 'container "db" stopped (exit code 7) before it was ready',
      setupLog: 'corrupted',
    },
  ]);
});

describe('network and volume steps', () => {
  itGradesSteps([
    {
      title: 'creates networks and volumes that containers share',
      id: 'network-volume-ok',
      steps: `
  - network: { name: back, internal: true }
  - volume: { name: shared }
  - run: { name: server, image: busybox, command: "echo hello > /srv/index.html; exec httpd -f -p 80 -h /srv", networks: [back], volumes: ["shared:/srv"] }
  - run: { name: client, image: busybox, command: [sleep, "60"], networks: [back], volumes: ["shared:/mnt:ro"] }
`,
      checks: `
  - name: the client reaches the server by name on the network
    exec: { container: client, command: [wget, -q, -O, "-", "http://server/index.html"] }
    expect: { stdout: hello }
  - name: the client sees the volume
    exec: { container: client, command: [cat, /mnt/index.html] }
    expect: { stdout: hello }
`,
      allPass: true,
    },
    {
      title: 'fails to create a network the engine refuses (a second "null" network)',
      id: 'network-fails',
      steps: '  - network: { name: back, driver: "null" }\n',
      setupError: /^network "back" could not be created: .*only one instance of "null" network is allowed/,
    },
  ]);
});
