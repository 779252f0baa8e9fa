// A student's container with a restart policy and a bind mount, through grade() on the real
// engine: the daemon gets policy "no" (it would restart the container by itself, mounting the
// source path again without the proxy's check), while the student's docker inspect and the
// grader's checks see the policy asked for.
import { execFileSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { RUN_LABEL } from '../../src/engine/labels';
import { NAME_LABEL } from '../../src/proxy/policy';
import { gradeInline, leftovers, removeTempDirs, describe as summary } from './steps-harness';

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
    `label=${NAME_LABEL}=r`,
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
