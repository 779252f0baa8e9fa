// The compose step on the real engine (Compose v2 in the client container), through grade():
// the student's compose file runs as a project of the exercise, carries our labels, is waited
// for, and is taken down at the end with everything it made.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import {
  FILLER_CHECK,
  gradeInline,
  leftovers,
  namedLeftovers,
  removeTempDirs,
  stepsExercise,
  summary,
  uniqueName,
} from '../../support/inline-grading';

afterAll(removeTempDirs);

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

  it('finds the default file name, and starts and stops a stopped stack', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'compose-stop-start',
        `
  - compose: {}
  - compose: { action: stop }
  - compose: { action: start, wait: { timeout: 20s } }
`,
        `
  - name: the service runs again
    exec: { container: app, command: ["true"] }
    expect: { exitCode: 0 }
`,
      ),
      {
        'compose.yml': 'services:\n  app:\n    image: busybox\n    init: true\n    command: [sleep, "300"]\n',
      },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.statuses['the service runs again']).toBe('pass');
    expect(await namedLeftovers(graded.runId)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('reads the files docker compose would: compose.yaml before docker-compose.yaml, and the override', async () => {
    const sleeper = 'image: busybox\n    init: true\n    command: [sleep, "300"]';
    const graded = await gradeInline(
      stepsExercise(
        'compose-order',
        '  - compose: { wait: { timeout: 20s } }\n  - compose: { action: down }\n  - compose: {}\n',
        `
  - name: the service of compose.yaml runs
    exec: { container: app, command: ["true"] }
    expect: { exitCode: 0 }
  - name: the service the override adds runs
    exec: { container: extra, command: ["true"] }
    expect: { exitCode: 0 }
`,
      ),
      {
        'compose.yaml': `services:\n  app:\n    ${sleeper}\n`,
        'compose.override.yaml': `services:\n  extra:\n    ${sleeper}\n`,
        // What Compose v2 does not read when compose.yaml is there: it would fail the step.
        'docker-compose.yaml': 'services:\n  legacy:\n    image: busybox\n    command: [sh, -c, "exit 5"]\n',
      },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.statuses['the service of compose.yaml runs']).toBe('pass');
    expect(graded.statuses['the service the override adds runs']).toBe('pass');
    expect(await namedLeftovers(graded.runId)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails with compose’s own message when the file is invalid', async () => {
    const graded = await gradeInline(
      stepsExercise('compose-invalid', '  - compose: { file: docker-compose.yaml }\n', FILLER_CHECK),
      { 'docker-compose.yaml': 'services:\n  app:\n    image: busybox\n    no_such_key: 1\n' },
    );
    expect(graded.exercise.setupError).toMatch(
      /^docker compose up failed with exit code \d+ \(docker-compose.yaml\)$/,
    );
    expect(graded.exercise.setupLog).toMatch(/no_such_key/);
    expect(await namedLeftovers(graded.runId)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails with the build output when a service image does not build', async () => {
    const graded = await gradeInline(
      stepsExercise('compose-build-fails', '  - compose: {}\n', FILLER_CHECK),
      {
        'docker-compose.yaml': 'services:\n  app:\n    build: .\n',
        Dockerfile: 'FROM busybox\nRUN echo "compiling" && exit 2\n',
      },
    );
    expect(graded.exercise.setupError).toMatch(/compose up failed with exit code \d+/);
    expect(graded.exercise.setupLog).toMatch(/compiling/);
    expect(await namedLeftovers(graded.runId)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails at once when a service exits, with its exit code and log', async () => {
    const started = Date.now();
    const graded = await gradeInline(
      stepsExercise('compose-exits', '  - compose: { wait: { timeout: 30s } }\n', FILLER_CHECK),
      {
        'docker-compose.yaml':
          'services:\n  ok:\n    image: busybox\n    init: true\n    command: [sleep, "300"]\n  broken:\n    image: busybox\n    command: [sh, -c, "echo cannot connect; exit 5"]\n',
      },
    );
    expect(graded.exercise.setupError).toBe('compose service "broken" is not running (exited, exit code 5)');
    expect(graded.exercise.setupLog).toBe('cannot connect');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await namedLeftovers(graded.runId)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('says which service is not healthy when the wait times out', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'compose-unhealthy',
        '  - compose: { wait: { healthy: true, timeout: 2s } }\n',
        FILLER_CHECK,
      ),
      {
        'docker-compose.yaml':
          'services:\n  db:\n    image: busybox\n    init: true\n    command: [sleep, "300"]\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1m\n',
      },
    );
    expect(graded.exercise.setupError).toBe(
      'compose services were not ready within 2s: service "db" health is "starting", expected "healthy"',
    );
    expect(await namedLeftovers(graded.runId)).toEqual([]);
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});
