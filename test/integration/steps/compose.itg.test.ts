// The compose step on the real engine (Compose v2 in the client container), through grade():
// the student's compose file runs as a project of the exercise, carries our labels, is waited
// for, and is taken down at the end with everything it made.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import {
  gradeInline,
  leftovers,
  namedLeftovers,
  removeTempDirs,
  stepsExercise,
  summary,
  uniqueName,
} from '../../support/inline-grading';
import { itGradesSteps, type StepsCase } from '../../support/steps-table';

afterAll(removeTempDirs);

/** A compose service's image and command that keeps it running (its lines under the service). */
const SLEEPER = 'image: busybox\n    init: true\n    command: [sleep, "300"]';

/**
 * The rows, each asserting also that nothing on the engine is named after the run: a compose
 * project is named after it, and so is all that the project makes.
 */
function leavingNothingNamedAfterTheRun(rows: StepsCase[]): StepsCase[] {
  return rows.map((row) => ({
    ...row,
    alsoExpect: async (graded) => {
      expect(await namedLeftovers(graded.runId)).toEqual([]);
    },
  }));
}

describe('compose step', () => {
  it('brings a stack up, waits until healthy, and survives down + up with its volume', async () => {
    const tag = uniqueName('itgcompose');
    const labelledMidway: string[] = [];
    const compose = `
version: "3.8"
services:
  web:
    build: ./web
    image: ${tag}-web:1
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["8080"]
    networks: [front]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      retries: 30
  store:
    image: busybox
    init: true
    command: ["sh", "-c", "test -f /data/first || date > /data/first; exec sleep 300"]
    volumes: ["data:/data"]
    networks: [front]
  tool:
    image: busybox
    profiles: [manual]
volumes:
  data: {}
networks:
  front: {}
`;
    const graded = await gradeInline(
      stepsExercise(
        'compose-ok',
        `
  - compose: { file: stack/docker-compose.yaml, wait: { healthy: true, timeout: 60s } }
  - script: { file: labels.sh }
  - exec: { container: store, command: "cat /data/first > /data/before" }
  - compose: { file: stack/docker-compose.yaml, action: down }
  - compose: { file: stack/docker-compose.yaml, build: false }
  - compose: { file: stack/docker-compose.yaml, action: restart }
`,
        `
  - name: web answers by service name on the network
    exec: { container: store, command: [wget, -q, -O, "-", "http://web:8080/index.html"] }
    expect: { stdout: from the image }
  - name: the volume kept its data across down and up
    exec: { container: store, command: "cmp /data/first /data/before && echo same" }
    expect: { stdout: same }
`,
      ),
      {
        'stack/docker-compose.yaml': compose,
        'stack/web/Dockerfile': 'FROM busybox\nRUN mkdir /www && echo "from the image" > /www/index.html\n',
        // A step mid-grading, at whose start the engine is read directly (the proxy hides our
        // labels from the student): what compose made carries the run's label.
        'labels.sh': 'true\n',
      },
      {
        prefix: 'c',
        onInfo: (line, runId) => {
          if (!line.includes('step: run the script labels.sh')) return;
          const label = `label=${RUN_LABEL}=${runId}`;
          const list = (args: string[], format: string) =>
            execFileSync('docker', [...args, '--filter', label, '--format', format])
              .toString()
              .split('\n')
              .filter(Boolean);
          labelledMidway.push(
            ...list(['image', 'ls'], '{{.Repository}}')
              .filter((name) => name.endsWith(`${tag}-web`))
              .map(() => 'image'),
            ...list(['ps', '-a'], '{{.Names}}')
              .filter((name) => /-store-1$/.test(name))
              .map(() => 'container'),
            ...list(['network', 'ls'], '{{.Name}}')
              .filter((name) => name.endsWith('_front'))
              .map(() => 'network'),
            ...list(['volume', 'ls'], '{{.Name}}')
              .filter((name) => name.endsWith('_data'))
              .map(() => 'volume'),
          );
        },
      },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    for (const [name, status] of Object.entries(graded.statuses)) {
      expect(status, `${name}\n${summary(graded)}`).toBe('pass');
    }
    // (Compose v2 makes no default network when every service names its own.)
    expect(labelledMidway.sort()).toEqual(['container', 'image', 'network', 'volume']);
    expect(graded.log.join('\n')).not.toMatch(/cleanup/);
    expect(await namedLeftovers(graded.runId)).toEqual([]);
    expect(
      execFileSync('docker', ['images', '-q', `${tag}-web`])
        .toString()
        .trim(),
    ).toBe('');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  itGradesSteps(
    leavingNothingNamedAfterTheRun([
      {
        title: 'finds the default file name, and starts and stops a stopped stack',
        id: 'compose-stop-start',
        steps: `
  - compose: {}
  - compose: { action: stop }
  - compose: { action: start, wait: { timeout: 20s } }
`,
        checks: `
  - name: the service runs again
    exec: { container: app, command: ["true"] }
    expect: { exitCode: 0 }
`,
        files: {
          'compose.yml': `services:\n  app:\n    ${SLEEPER}\n`,
        },
        statuses: { 'the service runs again': 'pass' },
      },
      {
        title:
          'reads the files docker compose would: compose.yaml before docker-compose.yaml, and the override',
        id: 'compose-order',
        steps: '  - compose: { wait: { timeout: 20s } }\n  - compose: { action: down }\n  - compose: {}\n',
        checks: `
  - name: the service of compose.yaml runs
    exec: { container: app, command: ["true"] }
    expect: { exitCode: 0 }
  - name: the service the override adds runs
    exec: { container: extra, command: ["true"] }
    expect: { exitCode: 0 }
`,
        files: {
          'compose.yaml': `services:\n  app:\n    ${SLEEPER}\n`,
          'compose.override.yaml': `services:\n  extra:\n    ${SLEEPER}\n`,
          // What Compose v2 does not read when compose.yaml is there: it would fail the step.
          'docker-compose.yaml':
            'services:\n  legacy:\n    image: busybox\n    command: [sh, -c, "exit 5"]\n',
        },
        statuses: {
          'the service of compose.yaml runs': 'pass',
          'the service the override adds runs': 'pass',
        },
      },
      {
        title: 'fails with compose’s own message when the file is invalid',
        id: 'compose-invalid',
        steps: '  - compose: { file: docker-compose.yaml }\n',
        files: { 'docker-compose.yaml': 'services:\n  app:\n    image: busybox\n    no_such_key: 1\n' },
        setupError: /^docker compose up failed with exit code \d+ \(docker-compose.yaml\)$/,
        setupLog: /no_such_key/,
      },
      {
        title: 'fails with the build output when a service image does not build',
        id: 'compose-build-fails',
        steps: '  - compose: {}\n',
        files: {
          'docker-compose.yaml': 'services:\n  app:\n    build: .\n',
          Dockerfile: 'FROM busybox\nRUN echo "compiling" && exit 2\n',
        },
        setupError: /compose up failed with exit code \d+/,
        setupLog: /compiling/,
      },
      {
        title: 'fails at once when a service exits, with its exit code and log',
        id: 'compose-exits',
        steps: '  - compose: { wait: { timeout: 30s } }\n',
        files: {
          'docker-compose.yaml': `services:\n  ok:\n    ${SLEEPER}\n  broken:\n    image: busybox\n    command: [sh, -c, "echo cannot connect; exit 5"]\n`,
        },
        setupError: 'compose service "broken" is not running (exited, exit code 5)',
        setupLog: 'cannot connect',
        withinMs: 20_000,
      },
      {
        title: 'says which service is not healthy when the wait times out',
        id: 'compose-unhealthy',
        steps: '  - compose: { wait: { healthy: true, timeout: 2s } }\n',
        files: {
          'docker-compose.yaml': `services:\n  db:\n    ${SLEEPER}\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1m\n`,
        },
        setupError:
          'compose services were not ready within 2s: service "db" health is "starting", expected "healthy"',
      },
    ]),
  );
});
