// A student's container with a restart policy and a bind mount, through grade() on the real
// engine: the daemon gets policy "no" (it would restart the container by itself, mounting the
// source path again without the proxy's check), while the student's docker inspect and the
// grader's checks see the policy asked for.
import { execFileSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { RUN_LABEL, STUDENT_NAME_LABEL } from '../../../src/naming/labels';
import { gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';

const runIds: string[] = [];

afterAll(async () => {
  removeTempDirs();
  for (const runId of runIds) expect(await leftovers(runId)).toEqual([]);
});

const EXERCISE = `version: 1
id: proxy/restart
title: restart policy of a bind-mounting container
steps:
  - script: { file: run.sh }
checks:
  - name: restart policy as asked
    container: { name: r }
    expect: { running: true, restartPolicy: unless-stopped }
`;

const SCRIPT = `set -e
mkdir -p data
docker run -d --name r --restart unless-stopped -v "$PWD/data:/data" busybox sleep 300
echo "policy=$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' r)"
`;

/** The engine's own restart policy of the run's container "r", by the docker CLI on the engine. */
function enginePolicy(runId: string): string | undefined {
  const id = execFileSync('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=${RUN_LABEL}=${runId}`,
    '--filter',
    `label=${STUDENT_NAME_LABEL}=r`,
  ])
    .toString()
    .trim();
  if (id === '') return undefined;
  return execFileSync('docker', ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', id])
    .toString()
    .trim();
}

it('keeps the policy from the daemon and shows the one asked for', async () => {
  const seen: string[] = [];
  const graded = await gradeInline(
    EXERCISE,
    { 'run.sh': SCRIPT },
    {
      prefix: 'rst',
      // Synchronous on purpose: observed on the engine while the run's container still exists.
      onInfo: (_line, runId) => {
        if (seen.length === 0) {
          const policy = enginePolicy(runId);
          if (policy !== undefined) seen.push(policy);
        }
      },
    },
  );
  runIds.push(graded.runId);
  expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
  expect(graded.statuses['restart policy as asked'], summary(graded)).toBe('pass');
  expect(graded.log).toContain('| policy=unless-stopped');
  expect(seen).toEqual(['no']);
});

it('tells why an exited compose service with restart: and a bind mount stays down', async () => {
  const graded = await gradeInline(
    `version: 1
id: proxy/restart-compose
title: an exiting compose service with a restart policy and a bind mount
steps:
  - compose: { wait: { timeout: 60s } }
checks:
  - name: nothing to check
    container: { name: other }
    expect: { exists: false }
`,
    {
      'data/.keep': '',
      'compose.yaml': `services:\n  app:\n    image: busybox\n    command: ["sh", "-c", "exit 1"]\n    restart: on-failure\n    volumes: ["./data:/data"]\n`,
    },
    { prefix: 'rsc' },
  );
  runIds.push(graded.runId);
  // Not a timeout: the wait knows at once that the daemon will not restart it.
  expect(graded.exercise.setupError, summary(graded)).toMatch(
    /^compose service "app" is not running \(exited.*restart policy "on-failure" is not applied by the engine during grading because it bind-mounts a host folder\)/,
  );
});
