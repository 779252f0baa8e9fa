// A script step with `remote: true` on the real engine, through grade(): the student's client
// reaches the remote machine over ssh:// and nothing else, the remote daemon has names and
// listings of its own, checks tell the two machines apart, and nothing of the machine remains.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withEnv } from '../../support/env';
import { gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';

afterAll(removeTempDirs);

/**
 * Grades with a temp folder of the test's own, and answers the grader's folders for remote
 * machines (gate socket, empty disk) left in it. The machine's shared temp folder would also
 * show folders of other gradings running at the same time.
 */
async function gradeInOwnTemp(...args: Parameters<typeof gradeInline>) {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'itg-remote-'));
  try {
    const graded = await withEnv({ TMPDIR: temp }, () => gradeInline(...args));
    const remoteFolders = readdirSync(temp).filter((name) => name.startsWith('docker-autograder-remote-'));
    return { graded, remoteFolders };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

const TWO_MACHINES = `version: 1
id: steps/remote-machine
title: two machines
steps:
  - script: { file: run.sh, remote: true, timeout: 90s }
checks:
  - name: web on the remote machine
    container: { name: web, machine: remote }
    expect: { running: true, image: busybox, processes: { includes: "sleep 601" } }
  - name: web on the local machine
    container: { name: web, machine: local }
    expect: { running: true, processes: { includes: "sleep 600" } }
  - name: only-remote is not local
    container: { name: only-remote, machine: local }
    expect: { exists: false }
  - name: local-only on the remote machine
    container: { name: local-only, machine: remote }
    expect: { running: true }
`;

const TWO_MACHINES_SCRIPT = `set -u
R=ssh://$REMOTE_USER@$REMOTE_HOST
docker run -d --name web busybox sleep 600 >/dev/null
docker -H "$R" run -d --name web busybox sleep 601 >/dev/null && echo "remote web started"
docker -H "$R" run -d --name only-remote busybox sleep 600 >/dev/null
docker run -d --name local-only busybox sleep 600 >/dev/null
echo "local: $(docker ps --format '{{.Names}}' | sort | tr '\\n' ' ')"
echo "remote: $(docker -H "$R" ps --format '{{.Names}}' | sort | tr '\\n' ' ')"
docker inspect only-remote >/dev/null 2>&1 && echo "local sees only-remote" || echo "local does not see only-remote"
ssh "$REMOTE_USER@$REMOTE_HOST" docker ps 2>&1 | sed 's/^/ssh: /'
docker -H "$R" run --rm -v "$PWD:/x" busybox true >/dev/null 2>&1 \\
  && echo "remote mounted the submission" || echo "remote refused the submission mount"
echo "routes: $(awk 'NR > 1 { print $1 "/" $2 }' /proc/net/route | tr '\\n' ' ')"
timeout 3 bash -c '</dev/tcp/172.17.0.1/3141' 2>/dev/null && echo "host reached" || echo "host not reached"
echo "interfaces: $(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | sort | tr '\\n' ' ')"
`;

describe('a script step with a remote machine', () => {
  it('drives a daemon with names of its own over ssh://, and checks tell the machines apart', async () => {
    const { graded, remoteFolders } = await gradeInOwnTemp(TWO_MACHINES, { 'run.sh': TWO_MACHINES_SCRIPT });
    const text = summary(graded);
    const output = graded.log.filter((line) => line.startsWith('| ')).join('\n');
    expect(output, text).toContain('remote web started');
    // Each daemon lists its own containers only (the machine's sshd is not one of them).
    expect(output, text).toMatch(/^\| local: local-only web $/m);
    expect(output, text).toMatch(/^\| remote: only-remote web $/m);
    expect(output, text).toContain('local does not see only-remote');
    // A login runs the docker CLI's relay only, and says so.
    expect(output, text).toContain('ssh: this machine serves its Docker daemon to docker clients only');
    // Nothing of this machine's disk can be mounted through the remote machine.
    expect(output, text).toContain('remote refused the submission mount');
    // The remote machine's loopback and nothing else: no route, no interface but lo, the host's
    // own ports (the package index stand-in listens on every address of the host) out of reach.
    expect(output, text).toMatch(/^\| routes: $/m);
    expect(output, text).toMatch(/^\| interfaces: lo $/m);
    expect(output, text).toContain('host not reached');
    expect(graded.statuses, text).toEqual({
      'web on the remote machine': 'pass',
      'web on the local machine': 'pass',
      'only-remote is not local': 'pass',
      'local-only on the remote machine': 'fail',
    });
    const misplaced = graded.exercise.checks.find(
      (check) => check.name === 'local-only on the remote machine',
    );
    expect(misplaced?.message).toContain(
      'a container "local-only" exists on your own machine (the local Docker daemon), not on the remote machine',
    );
    expect(await leftovers(graded.runId)).toEqual([]);
    expect(remoteFolders).toEqual([]);
  }, 180_000);

  it('removes the machine and what was made on it when the script runs out of time', async () => {
    const { graded, remoteFolders } = await gradeInOwnTemp(
      `version: 1
id: steps/remote-timeout
title: remote timeout
steps:
  - script: { file: run.sh, remote: true, timeout: 20s }
checks:
  - name: held runs on the remote machine
    container: { name: held, machine: remote }
    expect: { exists: true }
`,
      // Without -d the client waits for the container, over its ssh connection, until the limit.
      { 'run.sh': 'docker -H ssh://student@remote run --name held busybox sleep 600\n' },
    );
    const text = summary(graded);
    expect(graded.exercise.setupError, text).toMatch(/did not finish within 20s/);
    expect(graded.statuses, text).toEqual({ 'held runs on the remote machine': 'pass' });
    expect(await leftovers(graded.runId)).toEqual([]);
    expect(remoteFolders).toEqual([]);
  }, 180_000);
});
