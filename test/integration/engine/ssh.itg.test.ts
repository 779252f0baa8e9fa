// An engine behind ssh://, as the course's optional exercise reaches one: a private sshd on a
// loopback port (its own host key, config and authorized key, all generated here) whose
// `docker system dial-stdio` relays to the shared engine. The host key must be in known_hosts.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine';
import { RUN_LABEL } from '../../../src/naming/labels';
import { InfraError } from '../../../src/shared/errors';
import { freePort, withEnv } from '../../support/env';
import {
  CLI,
  ENGINE_HOST,
  labelled,
  runAction,
  runNode,
  runnerFiles,
  runPostStep,
  tempDir,
} from '../../support/integration';

const execFileAsync = promisify(execFile);
const BUSYBOX = 'busybox:latest';
const SSHD = '/usr/sbin/sshd';
let dir: string;
/** A HOME with the client's key in .ssh/id_ed25519, and (per test) a known_hosts. */
let home: string;
/** A HOME whose key the sshd answers with a forced command that fails as a missing docker CLI does. */
let noDockerHome: string;
let port: number;
let sshd: ChildProcess | undefined;
let sshdLog = '';
const user = os.userInfo().username;
/** This machine's name, which the grader does not resolve: an engine named so counts as remote. */
const hostname = os.hostname().toLowerCase();

async function keygen(file: string): Promise<string> {
  await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'itg', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** Resolves when sshd answers with its banner (it listens once it is ready). */
async function sshdBanner(deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const banner = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        resolve(chunk.toString().startsWith('SSH-'));
      });
      socket.once('error', () => resolve(false));
    });
    if (banner) return;
    if (sshd?.exitCode !== null || sshd.pid === undefined || Date.now() > deadline)
      throw new Error(`sshd did not start: ${sshdLog}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How many logins this sshd accepted so far. */
function logins(): number {
  return sshdLog.split('\n').filter((line) => line.includes(`Accepted publickey for ${user} from 127.0.0.1`))
    .length;
}

/** The public host key line as known_hosts lists it for [host]:port. */
function hostKeyLine(host = '127.0.0.1'): string {
  const [type, key] = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/);
  return `[${host}]:${port} ${type} ${key}`;
}

function writeExercise(exerciseDir: string, withScript: boolean): { exercise: string; submission: string } {
  const submission = path.join(exerciseDir, 'submission');
  mkdirSync(submission);
  writeFileSync(
    path.join(submission, 'run.sh'),
    'docker ps --format "{{.Names}}" | grep -qx web && echo reached\n',
  );
  const exercise = path.join(exerciseDir, 'exercise.yaml');
  writeFileSync(
    exercise,
    `version: 1
id: remote/ssh
title: An engine over ssh
steps:
  - run: { name: web, image: ${BUSYBOX}, command: sleep 600 }
${withScript ? '  - script: { file: run.sh, timeout: 1m }\n' : ''}checks:
  - name: web runs on the engine behind ssh
    points: 1
    container: { name: web }
    expect: { running: true }
`,
  );
  return { exercise, submission };
}

/** The CLI's environment: this HOME, no agent, DOCKER_HOST over ssh. */
function sshEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HOME: home,
    SSH_AUTH_SOCK: '',
    DOCKER_HOST: `ssh://${user}@127.0.0.1:${port}`,
    DOCKER_AUTOGRADER_KNOWN_HOSTS: '',
    ...extra,
  };
}

/**
 * `work` on a DockerEngine in this process at ssh://127.0.0.1:port, with these ssh settings in the
 * environment meanwhile (HOME, SSH_AUTH_SOCK, DOCKER_AUTOGRADER_KNOWN_HOSTS); closed after.
 */
async function withSshEngine<T>(
  env: Record<string, string | undefined>,
  work: (engine: DockerEngine) => Promise<T>,
  runId = `itg-ssh-${Date.now()}`,
  callTimeoutMs?: number,
): Promise<T> {
  return withEnv(env, async () => {
    const engine = new DockerEngine({ runId, host: `ssh://127.0.0.1:${port}`, callTimeoutMs });
    try {
      return await work(engine);
    } finally {
      engine.close();
    }
  });
}

/** The message of the infrastructure error that withSshEngine's engine answers info() with. */
function sshRefusal(env: Record<string, string | undefined>): Promise<string> {
  return withSshEngine(env, async (engine) => {
    const error = await engine.info().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InfraError);
    return (error as Error).message;
  });
}

function runIdOf(output: string): string {
  const runId = /, run ([a-z0-9]+)$/m.exec(output)?.[1];
  expect(runId, output).toBeDefined();
  return runId ?? '';
}

beforeAll(async () => {
  dir = tempDir('sshd');
  home = tempDir('ssh-home');
  mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  port = await freePort();
  // Here the host name is 127.0.0.1 in /etc/hosts; elsewhere sshd listens on its address too.
  const { address } = await lookup(hostname, { family: 4 });
  await keygen(path.join(dir, 'host_key'));
  noDockerHome = tempDir('ssh-home-no-docker');
  mkdirSync(path.join(noDockerHome, '.ssh'), { mode: 0o700 });
  const noDocker = await keygen(path.join(noDockerHome, '.ssh', 'id_ed25519'));
  writeFileSync(
    path.join(dir, 'authorized_keys'),
    `${await keygen(path.join(home, '.ssh', 'id_ed25519'))}\ncommand="echo 'sh: 1: docker: not found' >&2; exit 127" ${noDocker}\n`,
  );
  writeFileSync(
    path.join(dir, 'sshd_config'),
    `Port ${port}
ListenAddress 127.0.0.1
${address === '127.0.0.1' ? '' : `ListenAddress ${address}\n`}HostKey ${path.join(dir, 'host_key')}
PidFile ${path.join(dir, 'sshd.pid')}
AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}
AllowUsers ${user}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 4
LogLevel INFO
# The session's docker CLI reaches the engine under test, whichever socket it has.
SetEnv DOCKER_HOST=${ENGINE_HOST}
`,
  );
  // OpenSSH's privilege separation folder, which the packaged service would create at its start.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  sshd.stderr?.on('data', (chunk: Buffer) => {
    sshdLog += chunk.toString();
  });
  // No sshd (scripts/provision-engine.sh installs openssh-server): said by sshdBanner, not a crash.
  sshd.on('error', (error) => {
    sshdLog += `${SSHD}: ${error.message}\n`;
  });
  await sshdBanner(20_000);
}, 60_000);

afterAll(async () => {
  if (sshd && sshd.exitCode === null) {
    const exited = new Promise((resolve) => sshd?.once('exit', resolve));
    sshd.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  rmSync(noDockerHome, { recursive: true, force: true });
});

describe('an engine over ssh://', () => {
  it('grades through the CLI, its script reaching the same engine through the policy proxy over ssh', async () => {
    // Hashed by ssh-keygen, as ssh itself writes known_hosts with HashKnownHosts.
    const knownHosts = path.join(home, '.ssh', 'known_hosts');
    writeFileSync(knownHosts, `${hostKeyLine()}\n`);
    chmodSync(knownHosts, 0o600);
    await execFileAsync('ssh-keygen', ['-H', '-f', knownHosts]);
    expect(readFileSync(knownHosts, 'utf8')).toMatch(/^\|1\|/);
    const exerciseDir = tempDir('ssh-exercise');
    try {
      const { exercise, submission } = writeExercise(exerciseDir, true);
      const run = await runNode(CLI, ['grade', exercise, '--submission', submission], sshEnv());
      expect(run.code, run.stdout + run.stderr + sshdLog).toBe(0);
      // It went through this sshd, not another way to the engine.
      expect(logins()).toBeGreaterThan(0);
      expect(run.stdout).toContain('1/1');
      expect(run.stdout + run.stderr).toContain('reached');
      expect(await labelled(`${RUN_LABEL}=${runIdOf(run.stdout + run.stderr)}`)).toEqual([]);
    } finally {
      rmSync(path.join(home, '.ssh', 'known_hosts'), { force: true });
      rmSync(exerciseDir, { recursive: true, force: true });
    }
  });

  it('grades through the action with the input docker-host, and its post step cleans up over ssh', async () => {
    const knownHosts = path.join(home, 'action_known_hosts');
    writeFileSync(knownHosts, `${hostKeyLine()}\n`);
    const exerciseDir = tempDir('ssh-action');
    const { exercise, submission } = writeExercise(exerciseDir, false);
    const runner = runnerFiles(
      { exercises: exercise, submission, 'docker-host': `ssh://${user}@127.0.0.1:${port}` },
      { env: sshEnv({ DOCKER_HOST: '', DOCKER_AUTOGRADER_KNOWN_HOSTS: knownHosts }) },
    );
    try {
      const loginsAtStart = logins();
      const main = await runAction(runner);
      expect(main.code, main.stdout + main.stderr).toBe(0);
      expect(main.outputs).toMatchObject({ score: '1', passed: 'true' });
      expect(logins()).toBeGreaterThan(loginsAtStart);
      const { state } = main;
      expect(state['docker-host']).toBe(`ssh://${user}@127.0.0.1:${port}`);
      // A leftover of the run, which only the post step can remove, over ssh as well.
      await execFileAsync('docker', [
        'volume',
        'create',
        '--label',
        `${RUN_LABEL}=${state['run-id']}`,
        `${state['run-id']}-leftover`,
      ]);
      const loginsBefore = logins();
      const post = await runPostStep(runner, state);
      expect(post.code, post.stdout + post.stderr).toBe(0);
      expect(post.stdout).toContain('removed 1 leftover resources');
      // The same engine answers on its own socket: the post step must have come through sshd.
      expect(logins()).toBeGreaterThan(loginsBefore);
      expect(await labelled(`${RUN_LABEL}=${state['run-id']}`)).toEqual([]);
    } finally {
      rmSync(knownHosts, { force: true });
      rmSync(runner.dir, { recursive: true, force: true });
      rmSync(exerciseDir, { recursive: true, force: true });
    }
  });

  it('refuses a host key that does not match known_hosts: status error, exit 3, in the CLI and the action', async () => {
    const other = tempDir('other-key');
    const exerciseDir = tempDir('ssh-exercise');
    try {
      const [type, key] = (await keygen(path.join(other, 'key'))).split(/\s+/);
      const knownHosts = path.join(other, 'known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${type} ${key}\n`);
      const refusal = `does not match the one listed for it in ${knownHosts}:1`;
      const { exercise, submission } = writeExercise(exerciseDir, false);
      const cli = await runNode(
        CLI,
        ['grade', exercise, '--submission', submission],
        sshEnv({ DOCKER_AUTOGRADER_KNOWN_HOSTS: knownHosts }),
      );
      expect(cli.code, cli.stdout + cli.stderr).toBe(3);
      expect(cli.stdout + cli.stderr).toContain(refusal);
      const runner = runnerFiles(
        { exercises: exercise, submission, 'docker-host': `ssh://${user}@127.0.0.1:${port}` },
        { env: sshEnv({ DOCKER_HOST: '', DOCKER_AUTOGRADER_KNOWN_HOSTS: knownHosts }) },
      );
      try {
        const action = await runAction(runner);
        expect(action.code, action.stdout + action.stderr).toBe(3);
        expect(action.stdout).toContain(refusal);
        const { outputs } = action;
        expect(JSON.parse(Buffer.from(outputs.result ?? '', 'base64').toString('utf8'))).toMatchObject({
          status: 'error',
          max_score: 0,
        });
      } finally {
        rmSync(runner.dir, { recursive: true, force: true });
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
      rmSync(exerciseDir, { recursive: true, force: true });
    }
  });

  it('refuses a script step on an engine not known to be on this machine: status error, exit 3', async () => {
    const knownHosts = path.join(home, 'named_known_hosts');
    writeFileSync(knownHosts, `${hostKeyLine(hostname)}\n`);
    const exerciseDir = tempDir('ssh-exercise');
    try {
      const { exercise, submission } = writeExercise(exerciseDir, true);
      const run = await runNode(
        CLI,
        ['grade', exercise, '--submission', submission],
        sshEnv({
          DOCKER_HOST: `ssh://${user}@${hostname}:${port}`,
          DOCKER_AUTOGRADER_KNOWN_HOSTS: knownHosts,
        }),
      );
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(3);
      expect(output).toContain(
        `script and compose steps need the Docker engine on this machine (a unix socket, or tcp:// or ssh:// to a loopback address), and ssh://${user}@${hostname}:${port} is not`,
      );
      expect(output).not.toContain('reached');
      expect(await labelled(`${RUN_LABEL}=${runIdOf(output)}`)).toEqual([]);
    } finally {
      rmSync(knownHosts, { force: true });
      rmSync(exerciseDir, { recursive: true, force: true });
    }
  });

  it('logs in with the key of an ssh-agent (SSH_AUTH_SOCK) when there is no identity file', async () => {
    const agentDir = tempDir('ssh-agent');
    const keyless = tempDir('ssh-home-keyless');
    const socket = path.join(agentDir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      const env = { ...process.env, SSH_AUTH_SOCK: socket };
      // ssh-add -l exits 2 while nothing answers on the socket, 1 once the empty agent does.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const code = await execFileAsync('ssh-add', ['-l'], { env }).then(
          () => 0,
          (error: { code?: number }) => error.code ?? 2,
        );
        if (code !== 2) break;
        if (agent.exitCode !== null || Date.now() > deadline) throw new Error('ssh-agent did not start');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await execFileAsync('ssh-add', [path.join(home, '.ssh', 'id_ed25519')], { env });
      const knownHosts = path.join(keyless, 'known_hosts');
      writeFileSync(knownHosts, `${hostKeyLine()}\n`);
      await withSshEngine(
        { HOME: keyless, SSH_AUTH_SOCK: socket, DOCKER_AUTOGRADER_KNOWN_HOSTS: knownHosts },
        async (engine) => {
          expect((await engine.info()).apiVersion).toMatch(/^1\.\d+$/);
        },
      );
    } finally {
      if (agent.exitCode === null && agent.pid !== undefined) {
        const exited = new Promise((resolve) => agent.once('exit', resolve));
        agent.kill('SIGTERM');
        await exited;
      }
      rmSync(agentDir, { recursive: true, force: true });
      rmSync(keyless, { recursive: true, force: true });
    }
  });

  it('refuses a host that known_hosts does not list, saying how to add it', async () => {
    const empty = tempDir('no-known-hosts');
    try {
      const knownHosts = path.join(empty, 'known_hosts');
      writeFileSync(knownHosts, '# nothing\n');
      const refusal = await sshRefusal({
        HOME: home,
        SSH_AUTH_SOCK: undefined,
        DOCKER_AUTOGRADER_KNOWN_HOSTS: knownHosts,
      });
      expect(refusal).toContain(`the host key of [127.0.0.1]:${port} (ssh-ed25519 SHA256:`);
      expect(refusal).toContain(`is not in ${knownHosts}`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('says so when docker system dial-stdio fails on the remote', async () => {
    const knownHosts = path.join(noDockerHome, '.ssh', 'known_hosts');
    writeFileSync(knownHosts, `${hostKeyLine()}\n`);
    const refusal = await sshRefusal({
      HOME: noDockerHome,
      SSH_AUTH_SOCK: undefined,
      DOCKER_AUTOGRADER_KNOWN_HOSTS: undefined,
    });
    expect(refusal).toBe(
      `ssh: ssh://${user}@127.0.0.1:${port}: \`docker system dial-stdio\` failed on the remote (exit 127): sh: 1: docker: not found`,
    );
  });

  it('carries more API connections at once than one SSH connection allows sessions', async () => {
    const knownHosts = path.join(home, 'plain_known_hosts');
    writeFileSync(knownHosts, `${hostKeyLine()}\n`);
    const runId = `itg-ssh-${Date.now()}`;
    try {
      await withSshEngine(
        { HOME: home, SSH_AUTH_SOCK: undefined, DOCKER_AUTOGRADER_KNOWN_HOSTS: knownHosts },
        async (engine) => {
          try {
            const id = await engine.createContainer({
              name: `${runId}-c`,
              image: BUSYBOX,
              cmd: ['sleep', '60'],
            });
            await engine.startContainer(id);
            // This sshd allows 4 sessions per connection (MaxSessions, 10 by default, and the grader
            // opens at most 8): 16 execs at once need several connections, found by refusals.
            const results = await Promise.all(
              Array.from({ length: 16 }, (_, index) =>
                engine.exec(id, {
                  cmd: ['sh', '-c', `sleep 1; echo ${index}`],
                  timeoutMs: 60_000,
                  maxOutputBytes: 1024,
                }),
              ),
            );
            expect(results.map((result) => result.stdout)).toEqual(
              Array.from({ length: 16 }, (_, index) => `${index}\n`),
            );
          } finally {
            expect(await engine.removeResources()).toMatchObject({ containers: 1, failures: [] });
          }
        },
        runId,
        // What is measured is that every call completes, not how fast: in CI, with both engines'
        // suites at once on two cores, one of the 16 exec creates took over the default 30 s
        // once (2026-12-08), while a true hang still fails at this deadline.
        120_000,
      );
    } finally {
      rmSync(knownHosts, { force: true });
    }
    expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  }, 300_000);
});
