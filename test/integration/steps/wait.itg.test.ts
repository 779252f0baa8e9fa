// wait steps and the readiness conditions (log with count, port, http, healthy, exited) on the real
// engine, through grade(): what holds passes, and what does not says expected against actual.
import { afterAll, describe, expect, it } from 'vitest';
import { gradeInline, leftovers, removeTempDirs, stepsExercise, summary } from '../../support/inline-grading';

afterAll(removeTempDirs);

describe('wait step', () => {
  it('waits a duration, then for every condition of a running container', async () => {
    const started = Date.now();
    const graded = await gradeInline(
      stepsExercise(
        'wait-all',
        `
  - run:
      name: web
      image: busybox
      command: "sleep 0.3; echo up; echo up; mkdir -p /www; echo hi > /www/index.html; exec httpd -f -p 8080 -h /www"
      ports: [8080]
      healthcheck: { test: [wget, -q, -O, /dev/null, "http://127.0.0.1:8080/"], interval: 0.2s, retries: 30 }
  - wait: { duration: 0.2s }
  - wait: { container: web, log: { matches: "^up$", count: 2 }, port: 8080, http: { port: 8080, path: /index.html, status: 200 }, healthy: true, timeout: 20s }
`,
      ),
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('waits until a run-to-completion container has exited', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'wait-exited',
        `
  - run: { name: job, image: busybox, command: "sleep 0.5; echo finished; exit 4" }
  - wait: { container: job, exited: true, log: finished, timeout: 10s }
`,
      ),
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('says a container that keeps running has not exited', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'wait-exited-fails',
        `
  - run: { name: job, image: busybox, command: [sleep, "60"] }
  - wait: { container: job, exited: true, timeout: 0.5s }
`,
      ),
    );
    expect(graded.exercise.setupError).toBe(
      'container "job" was not ready within 500ms: it is still running',
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('tells a port nobody listens on from an open one (docker-proxy accepts either)', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'wait-port-fails',
        `
  - run: { name: web, image: busybox, command: [sleep, "60"], ports: [8080] }
  - wait: { container: web, port: 8080, timeout: 1s }
`,
      ),
    );
    expect(graded.exercise.setupError).toBe(
      'container "web" was not ready within 1s: port 8080: the connection was closed at once (nothing listens on it)',
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('reports the HTTP status that was answered instead of the one expected', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'wait-http-fails',
        `
  - run: { name: web, image: busybox, command: "mkdir /www; exec httpd -f -p 8080 -h /www", ports: [8080] }
  - wait: { container: web, http: { port: 8080, path: /missing, status: 200 }, timeout: 1s }
`,
      ),
    );
    expect(graded.exercise.setupError).toBe(
      'container "web" was not ready within 1s: GET /missing on port 8080 answered 404',
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('reports the last health state when the container never becomes healthy', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'wait-unhealthy',
        `
  - run:
      name: db
      image: busybox
      command: [sleep, "60"]
      healthcheck: { test: "exit 1", interval: 0.1s, retries: 1 }
  - wait: { container: db, healthy: true, timeout: 2s }
`,
      ),
    );
    expect(graded.exercise.setupError).toBe(
      'container "db" was not ready within 2s: its health is "unhealthy", expected "healthy"',
    );
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails at once when a container without a healthcheck is to become healthy', async () => {
    const started = Date.now();
    const graded = await gradeInline(
      stepsExercise(
        'wait-no-healthcheck',
        `
  - run: { name: db, image: busybox, command: [sleep, "60"] }
  - wait: { container: db, healthy: true, timeout: 30s }
`,
      ),
    );
    expect(graded.exercise.setupError).toBe(
      'container "db" can never be ready: it has no healthcheck (neither its image nor the step defines one)',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('fails at once, with the exit code and the log, when the container stops while waited for', async () => {
    const graded = await gradeInline(
      stepsExercise(
        'wait-stopped',
        `
  - run: { name: web, image: busybox, command: "echo crashing; exit 3", ports: [8080] }
  - wait: { container: web, http: { port: 8080 }, timeout: 30s }
`,
      ),
    );
    expect(graded.exercise.setupError).toBe('container "web" stopped (exit code 3) before it was ready');
    expect(graded.exercise.setupLog).toBe('crashing');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});
