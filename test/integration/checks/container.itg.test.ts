// The container check on the real engine, through grade(): a container a run step configured
// fully, one a student's `docker run` left stopped, one that does not exist, and one that stops
// a moment after it started.
import { describe } from 'vitest';
import { failed, failedOn, itFindsChecks, passed } from '../../support/check-tables';
import { exerciseYaml, gradedOnce, itLeavesNothingOfTheRun, uniqueRunId } from '../../support/inline-grading';

const runId = uniqueRunId('checkscontainer');
const stopped = `${runId}-stopped`;

const SPEC = exerciseYaml('test/container', {
  steps: `
  - network: { name: backend }
  - run:
      name: web
      image: busybox:latest
      command: [httpd, -f, -p, "8080"]
      ports: [8080]
      env: { MY_VAR: my_value }
      restart: unless-stopped
      hostname: myhost
      user: "0"
      volumes: ["data:/data", "./site:/www:ro"]
      networks: [backend]
      healthcheck: { test: "true", interval: 1s }
      wait: { healthy: true, timeout: 20s }
`,
  checks: `
  - name: container passes
    container: { name: web }
    expect:
      exists: true
      status: running
      running: true
      exitCode: 0
      oomKilled: false
      health: healthy
      restartPolicy: unless-stopped
      restartCount: 0
      ports: { matches: "^[0-9]+->8080/tcp$" }
      env: { contains: MY_VAR=my_value }
      mounts: { matches: '^\\{"destination":"/www","readOnly":true,"source":"site","type":"bind"\\}$' }
      networks: [backend]
      image: busybox:latest
      user: "0"
      hostname: myhost
      processes: { matches: "^httpd -f -p 8080$" }
  - name: container volume mount
    container: { name: web }
    expect:
      mounts: { matches: '^\\{"destination":"/data","name":"data","readOnly":false,"source":"/.+/_data","type":"volume"\\}$' }
  - name: container fails
    container: { name: web }
    expect: { restartPolicy: always }
  - name: stopped container
    container: { name: ${stopped} }
    expect:
      exists: true
      status: exited
      running: false
      exitCode: 3
      health: none
      ports: []
      processes: []
      labels: { course: docker }
  - name: stopped container labels fail
    container: { name: ${stopped} }
    expect: { labels: { course: kubernetes } }
  - name: missing container
    container: { name: ${runId}-nothing }
    expect: { exists: false }
  - name: missing container is not running
    container: { name: ${runId}-nothing }
    expect: { running: true }
`,
});

const graded = gradedOnce(runId, async ({ stoppedContainer }) => {
  await stoppedContainer(stopped, 'exit 3', '--label', 'course=docker');
  return { yaml: SPEC, files: { 'site/index.html': '<p>hi</p>\n' } };
});

describe('container check', () => {
  itFindsChecks(graded, [
    [
      'observes state and configuration by the names the exercise uses',
      { 'container passes': passed, 'container volume mount': passed },
    ],
    [
      'fails with the restart policy as actual',
      { 'container fails': failedOn('restartPolicy', 'equals "always"', 'unless-stopped') },
    ],
    [
      "observes a student's stopped container: exit code, no processes, no health, its labels",
      {
        'stopped container': passed,
        'stopped container labels fail': failedOn('labels.course', 'equals "kubernetes"', 'docker'),
      },
    ],
    [
      'observes a missing container as exists: false, and nothing else',
      {
        'missing container': passed,
        'missing container is not running': failed(
          `running not as expected: the container "${runId}-nothing" does not exist`,
          'equals true',
          '(nothing)',
        ),
      },
    ],
  ]);
  itLeavesNothingOfTheRun(runId);
});

// The nginx whose main process forks into the background and exits: read at once, the container
// still runs. It must not be graded as one that keeps running.
describe('container check on a container that has only just started', () => {
  const briefRunId = uniqueRunId('checkscontainerbrief');
  const BRIEF_SPEC = exerciseYaml('test/container-brief', {
    steps: `
  - run: { name: brief, image: busybox:latest, command: [sleep, "0.3"] }
  - run: { name: lasting, image: busybox:latest, command: [sleep, "30"] }
`,
    checks: `
  - name: brief keeps running
    container: { name: brief }
    expect: { running: true }
  - name: lasting keeps running
    container: { name: lasting }
    expect: { running: true, status: running }
`,
  });
  const brief = gradedOnce(briefRunId, async () => ({ yaml: BRIEF_SPEC }));

  itFindsChecks(brief, [
    [
      'is running only if it is still running a moment after it started',
      {
        'brief keeps running': failedOn('running', 'equals true', 'false'),
        'lasting keeps running': passed,
      },
    ],
  ]);
  itLeavesNothingOfTheRun(briefRunId);
});
