// A remote engine over tcp:// with TLS, as the course's optional exercise sets one up: a private
// dockerd on a loopback port that requires client certificates, all generated here with openssl.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine';
import { RUN_LABEL } from '../../../src/naming/labels';
import { InfraError } from '../../../src/shared/errors';
import { CLIENT_IMAGE } from '../../../src/steps/client-image';
import { freePort, withEnv } from '../../support/env';
import { CLI, runAction, runnerFiles, runPostStep, tempDir } from '../../support/integration';
import { flagsForFiles, type PrivateEngine, startPrivateEngine } from '../../support/private-engine';

const execFileAsync = promisify(execFile);
const BUSYBOX = 'busybox:latest';
const runId = `itg-remote-${Date.now()}`;
let engine: PrivateEngine;
let certs: string;
let clientCerts: string;
let port: number;

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as `dockerd --tlsverify` wants. */
async function makeCertificates(dir: string): Promise<void> {
  const script = `set -e
cd "$1"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=itg-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 1 -extfile server.ext 2>/dev/null
mkdir client
openssl req -newkey rsa:2048 -nodes -keyout client/key.pem -out client.csr -subj /CN=itg-client 2>/dev/null
printf 'extendedKeyUsage=clientAuth\\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client/cert.pem -days 1 -extfile client.ext 2>/dev/null
cp ca.pem client/ca.pem
`;
  await execFileAsync('sh', ['-c', script, 'certs', dir]);
}

/** An exercise that runs busybox as `web`, then any further steps, and checks that web runs. */
function webExercise(id: string, title: string, furtherSteps: string[] = []): string {
  const steps = [`run: { name: web, image: ${BUSYBOX}, command: sleep 600 }`, ...furtherSteps]
    .map((step) => `  - ${step}\n`)
    .join('');
  return `version: 1
id: ${id}
title: ${title}
steps:
${steps}checks:
  - name: web runs on the remote engine
    points: 1
    container: { name: web }
    expect: { running: true }
`;
}

/**
 * `work` on a fresh folder holding exercise.yaml and a submission/ of these files, removed after.
 */
async function withExercise(
  prefix: string,
  exerciseYaml: string,
  submissionFiles: Record<string, string>,
  work: (exercise: string, submission: string) => Promise<void>,
): Promise<void> {
  const dir = tempDir(prefix);
  try {
    const submission = path.join(dir, 'submission');
    mkdirSync(submission);
    for (const [name, content] of Object.entries(submissionFiles))
      writeFileSync(path.join(submission, name), content);
    const exercise = path.join(dir, 'exercise.yaml');
    writeFileSync(exercise, exerciseYaml);
    await work(exercise, submission);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  certs = tempDir('tls');
  clientCerts = path.join(certs, 'client');
  await makeCertificates(certs);
  port = await freePort();
  engine = await startPrivateEngine([BUSYBOX, CLIENT_IMAGE], {
    extraArgs: [
      '--host',
      `tcp://127.0.0.1:${port}`,
      '--tlsverify',
      ...flagsForFiles(certs, {
        '--tlscacert': 'ca.pem',
        '--tlscert': 'server-cert.pem',
        '--tlskey': 'server-key.pem',
      }),
    ],
  });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  rmSync(certs, { recursive: true, force: true });
}, 120_000);

describe('a remote engine over tcp:// with TLS', () => {
  it('runs a container there with the client certificate of DOCKER_CERT_PATH', async () => {
    await withEnv({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: clientCerts }, async () => {
      const remote = new DockerEngine({ runId, host: `tcp://127.0.0.1:${port}` });
      expect((await remote.info()).apiVersion).toMatch(/^1\.\d+$/);
      const id = await remote.createContainer({ name: `${runId}-c`, image: BUSYBOX, cmd: ['sleep', '60'] });
      await remote.startContainer(id);
      const result = await remote.exec(id, {
        cmd: ['echo', 'over tls'],
        timeoutMs: 10_000,
        maxOutputBytes: 1024,
      });
      expect(result).toMatchObject({ exitCode: 0, stdout: 'over tls\n' });
      // A docker CLI child reaches the same engine with what clientEnvironment() gives it.
      const { stdout } = await execFileAsync('docker', ['ps', '-q', '--filter', `id=${id}`], {
        env: { PATH: process.env.PATH, ...remote.clientEnvironment() },
      });
      expect(id.startsWith(stdout.trim())).toBe(true);
      expect(stdout.trim()).not.toBe('');
      expect(await remote.removeResources()).toMatchObject({ containers: 1, failures: [] });
      remote.close();
    });
  });

  it('refuses clearly when DOCKER_TLS_VERIFY=1 and the certificates are missing', async () => {
    const empty = tempDir('no-certs');
    try {
      await withEnv({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: empty }, async () => {
        expect(() => new DockerEngine({ runId, host: `tcp://127.0.0.1:${port}` })).toThrow(
          new InfraError(
            `DOCKER_TLS_VERIFY=1 needs ca.pem, cert.pem and key.pem in ${empty} (DOCKER_CERT_PATH)`,
          ),
        );
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('is an infrastructure error, not a grade, without a client certificate the daemon trusts', async () => {
    const stranger = tempDir('stranger');
    try {
      // A certificate of another CA: the TLS handshake fails.
      await makeCertificates(stranger);
      mkdirSync(path.join(stranger, 'client'), { recursive: true });
      await withEnv({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(stranger, 'client') }, async () => {
        const remote = new DockerEngine({ runId, host: `tcp://127.0.0.1:${port}` });
        await expect(remote.info()).rejects.toBeInstanceOf(InfraError);
        remote.close();
      });
    } finally {
      rmSync(stranger, { recursive: true, force: true });
    }
  });

  it('grades through the CLI with DOCKER_HOST=tcp://… and TLS, its script reaching the same engine', async () => {
    await withExercise(
      'remote-exercise',
      webExercise('remote/tls', 'A remote engine', ['script: { file: run.sh, timeout: 1m }']),
      { 'run.sh': 'docker ps --format "{{.Names}}" > /dev/null && echo reached\n' },
      async (exercise, submission) => {
        const env = {
          ...process.env,
          DOCKER_HOST: `tcp://127.0.0.1:${port}`,
          DOCKER_TLS_VERIFY: '1',
          DOCKER_CERT_PATH: clientCerts,
        };
        const { stdout, stderr } = await execFileAsync(
          process.execPath,
          [CLI, 'grade', exercise, '--submission', submission],
          { env },
        );
        expect(stdout).toContain('1/1');
        expect(stderr).toContain('reached');
      },
    );
  });

  it('grades through the action with the input docker-host, and its post step cleans up there', async () => {
    await withExercise(
      'remote-action',
      webExercise('remote/action', 'A remote engine through the action'),
      {},
      async (exercise, submission) => {
        const runner = runnerFiles(
          { exercises: exercise, submission, 'docker-host': `tcp://127.0.0.1:${port}` },
          { env: { DOCKER_HOST: '', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: clientCerts } },
        );
        const main = await runAction(runner);
        expect(main.code, main.stdout + main.stderr).toBe(0);
        expect(main.outputs).toMatchObject({ score: '1', passed: 'true' });
        const { state } = main;
        expect(state['docker-host']).toBe(`tcp://127.0.0.1:${port}`);
        // A leftover of the run on the remote engine, which only the post step can find there.
        await engine.docker(
          'volume',
          'create',
          '--label',
          `${RUN_LABEL}=${state['run-id']}`,
          'remote-leftover',
        );
        const post = await runPostStep(runner, state);
        expect(post.code, post.stdout + post.stderr).toBe(0);
        expect(post.stdout).toContain('removed 1 leftover resources');
      },
    );
  });

  it('leaves nothing labelled on the remote engine', async () => {
    expect(await engine.labelled(RUN_LABEL)).toEqual([]);
  });
});
