// wait steps and the readiness conditions (log with count, port, http, healthy, exited) on the real
// engine, through grade(): what holds passes, and what does not says expected against actual.
import { afterAll, describe } from 'vitest';
import { removeTempDirs } from '../../support/inline-grading';
import { itGradesSteps, sleeping } from '../../support/steps-table';

afterAll(removeTempDirs);

describe('wait step', () => {
  itGradesSteps([
    {
      title: 'waits a duration, then for every condition of a running container',
      id: 'wait-all',
      steps: `
  - run:
      name: web
      image: busybox
      command: "sleep 0.3; echo up; echo up; mkdir -p /www; echo hi > /www/index.html; exec httpd -f -p 8080 -h /www"
      ports: [8080]
      healthcheck: { test: [wget, -q, -O, /dev/null, "http://127.0.0.1:8080/"], interval: 0.2s, retries: 30 }
  - wait: { duration: 0.2s }
  - wait: { container: web, log: { matches: "^up$", count: 2 }, port: 8080, http: { port: 8080, path: /index.html, status: 200 }, healthy: true, timeout: 20s }
`,
      withinMs: 15_000,
    },
    {
      title: 'waits until a run-to-completion container has exited',
      id: 'wait-exited',
      steps: `
  - run: { name: job, image: busybox, command: "sleep 0.5; echo finished; exit 4" }
  - wait: { container: job, exited: true, log: finished, timeout: 10s }
`,
    },
    {
      title: 'says a container that keeps running has not exited',
      id: 'wait-exited-fails',
      steps: `${sleeping('job')}
  - wait: { container: job, exited: true, timeout: 0.5s }
`,
      setupError: 'container "job" was not ready within 500ms: it is still running',
    },
    {
      title: 'tells a port nobody listens on from an open one (docker-proxy accepts either)',
      id: 'wait-port-fails',
      steps: `
  - run: { name: web, image: busybox, command: [sleep, "60"], ports: [8080] }
  - wait: { container: web, port: 8080, timeout: 1s }
`,
      setupError:
        'container "web" was not ready within 1s: port 8080: the connection was closed at once (nothing listens on it)',
    },
    {
      title: 'reports the HTTP status that was answered instead of the one expected',
      id: 'wait-http-fails',
      steps: `
  - run: { name: web, image: busybox, command: "mkdir /www; exec httpd -f -p 8080 -h /www", ports: [8080] }
  - wait: { container: web, http: { port: 8080, path: /missing, status: 200 }, timeout: 1s }
`,
      setupError: 'container "web" was not ready within 1s: GET /missing on port 8080 answered 404',
    },
    {
      title: 'reports the last health state when the container never becomes healthy',
      id: 'wait-unhealthy',
      steps: `
  - run:
      name: db
      image: busybox
      command: [sleep, "60"]
      healthcheck: { test: "exit 1", interval: 0.1s, retries: 1 }
  - wait: { container: db, healthy: true, timeout: 2s }
`,
      setupError: 'container "db" was not ready within 2s: its health is "unhealthy", expected "healthy"',
    },
    {
      title: 'fails at once when a container without a healthcheck is to become healthy',
      id: 'wait-no-healthcheck',
      steps: `${sleeping('db')}
  - wait: { container: db, healthy: true, timeout: 30s }
`,
      setupError:
        'container "db" can never be ready: it has no healthcheck (neither its image nor the step defines one)',
      withinMs: 10_000,
    },
    {
      title: 'fails at once, with the exit code and the log, when the container stops while waited for',
      id: 'wait-stopped',
      steps: `
  - run: { name: web, image: busybox, command: "echo crashing; exit 3", ports: [8080] }
  - wait: { container: web, http: { port: 8080 }, timeout: 30s }
`,
      setupError: 'container "web" stopped (exit code 3) before it was ready',
      setupLog: 'crashing',
    },
  ]);
});
