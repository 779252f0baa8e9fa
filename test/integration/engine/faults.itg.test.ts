// Faults of the engine and its neighbours are never grades: each case below breaks a real
// (private) dockerd or its surroundings while the bundled CLI or action grades, and asserts the
// safe outcome: status error, exit 3, no grade (Classroom's result says error), nothing labelled
// left, and nothing removed that the run did not create. The shared engine is never touched:
// everything runs on a private dockerd (test/support/private-engine.ts) started here.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../../../src/engine/transport/client';
import { RUN_LABEL } from '../../../src/naming/labels';
import type { GradeReport } from '../../../src/report/model';
import { InfraError } from '../../../src/shared/errors';
import { CLIENT_IMAGE } from '../../../src/steps/client-image';
import { REMOTE_IMAGE } from '../../../src/steps/remote-machine';
import { ACTION, CLI, parseRunnerFile, runnerFiles, tempDir } from '../../support/integration';
import { type PrivateEngine, startPrivateEngine } from '../../support/private-engine';

const execFileAsync = promisify(execFile);
const BUSYBOX = 'busybox:latest';
let engine: PrivateEngine;
const tempDirs: string[] = [];

beforeAll(async () => {
  engine = await startPrivateEngine([BUSYBOX, CLIENT_IMAGE, REMOTE_IMAGE]);
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}, 120_000);

interface Exercise {
  /** The exercise.yaml. */
  spec: string;
  /** The student's submission folder. */
  submission: string;
}

/** An exercise and its submission in a fresh folder. */
function exercise(yaml: string, files: Record<string, string> = {}): Exercise {
  const dir = tempDir('faults');
  tempDirs.push(dir);
  const submission = path.join(dir, 'submission');
  mkdirSync(submission);
  writeFileSync(path.join(dir, 'exercise.yaml'), yaml);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(submission, name), content);
  return { spec: path.join(dir, 'exercise.yaml'), submission };
}

/** Builds (the RUN prints build-started, then takes 10 minutes), after a run step. */
const BUILD_EXERCISE = `version: 1
id: faults/build
title: A build that takes long
timeout: 15m
steps:
  - run: { name: before, image: ${BUSYBOX}, command: sleep 600 }
  - build: { name: app, context: ., dockerfile: Dockerfile, timeout: 12m }
checks:
  - name: the image has a CMD
    points: 1
    image: { name: app }
    expect: { cmd: [sleep, "600"] }
`;
const SLOW_DOCKERFILE = `FROM ${BUSYBOX}\nRUN echo build-started && sleep 600\nCMD ["sleep", "600"]\n`;

/** A run step, then a script that says script-ready and waits for the file `go` in its folder. */
const SCRIPT_EXERCISE = `version: 1
id: faults/script
title: A script that waits
timeout: 15m
steps:
  - run: { name: web, image: ${BUSYBOX}, command: sleep 600 }
  - script: { file: run.sh, timeout: 12m }
checks:
  - name: web still runs
    points: 1
    container: { name: web }
    expect: { running: true }
`;
const WAITING_SCRIPT = 'echo script-ready\nwhile [ ! -f go ]; do sleep 0.1; done\necho script-done\n';

/** A script with a remote machine: it makes a container there, then waits like the one above. */
const REMOTE_EXERCISE = `version: 1
id: faults/remote
title: A script that waits, with a remote machine
timeout: 15m
steps:
  - script: { file: run.sh, remote: true, timeout: 12m }
checks:
  - name: far runs on the remote machine
    points: 1
    container: { name: far, machine: remote }
    expect: { running: true }
`;
const REMOTE_WAITING_SCRIPT = `docker -H ssh://student@remote run -d --name far ${BUSYBOX} sleep 600\n${WAITING_SCRIPT}`;

/** One run step on the default bridge network. */
const RUN_EXERCISE = `version: 1
id: faults/run
title: A container on the default network
timeout: 2m
steps:
  - run: { name: web, image: ${BUSYBOX}, command: sleep 600 }
checks:
  - name: web runs
    points: 1
    container: { name: web }
    expect: { running: true }
`;

interface Started {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when a line of output matches; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A bundled entry point started as a user or the runner would, followed as it runs. */
function startNode(script: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env } });
  let output = '';
  const watchers: Array<{ pattern: RegExp; resolve: () => void; reject: (error: Error) => void }> = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(output)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const watcher of watchers.splice(0))
        watcher.reject(new Error(`exited (${code ?? signal}) before ${watcher.pattern}:\n${output}`));
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => output,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        if (pattern.test(output)) resolve();
        else watchers.push({ pattern, resolve, reject });
      }),
    exited,
  };
}

/** The CLI grading an exercise on the private engine, with a JSON report in `report`. */
function gradeOnPrivate(
  target: Exercise,
  host = engine.host,
  env: Record<string, string> = {},
): Started & { report: string } {
  const report = path.join(path.dirname(target.spec), 'report.json');
  const started = startNode(
    CLI,
    ['grade', target.spec, '--submission', target.submission, '--format', 'json', '--out', report],
    { DOCKER_HOST: host, ...env },
  );
  return { ...started, report };
}

/**
 * The CLI grading SCRIPT_EXERCISE on the private engine, which meets `fault` while the script
 * waits; then the script is let go, and the grader must exit 3. `recover` runs whatever happened.
 */
async function faultWhileScriptWaits(
  fault: () => void | Promise<void>,
  recover: () => void | Promise<void> = () => undefined,
): Promise<Started & { report: string }> {
  const target = exercise(SCRIPT_EXERCISE, { 'run.sh': WAITING_SCRIPT });
  const run = gradeOnPrivate(target);
  try {
    await run.waitFor(/script-ready/);
    await fault();
    writeFileSync(path.join(target.submission, 'go'), '');
    expect((await run.exited).code, run.output()).toBe(3);
  } finally {
    await recover();
  }
  return run;
}

/** The CLI's `cleanup --run` on the private engine: what reaps a run the engine's fault left. */
async function cleanupOnPrivate(runId: string): Promise<void> {
  await execFileAsync(process.execPath, [CLI, 'cleanup', '--run', runId], {
    env: { ...process.env, DOCKER_HOST: engine.host },
  });
}

function readReport(file: string): GradeReport {
  return JSON.parse(readFileSync(file, 'utf8')) as GradeReport;
}

/** The run id the grader prints first ("Docker engine ... run agxxxx"). */
function runIdIn(output: string): string {
  const runId = /run (ag[a-z0-9]+)/.exec(output)?.[1];
  if (runId === undefined) throw new Error(`no run id in:\n${output}`);
  return runId;
}

function decodeResult(encoded: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(encoded ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('engine faults are errors, never grades', () => {
  it('the action with no engine at all: exit 3 and a Classroom result with status error', async () => {
    const target = exercise(RUN_EXERCISE);
    const runner = runnerFiles({ exercises: target.spec, submission: target.submission });
    const run = startNode(ACTION, [], { ...runner.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect((await run.exited).code, run.output()).toBe(3);
    const outputs = parseRunnerFile(runner.env.GITHUB_OUTPUT ?? '');
    const result = decodeResult(outputs.result);
    expect(result).toMatchObject({ version: 1, status: 'error', max_score: 0 });
    expect(JSON.stringify(result)).toContain('not reachable');
    expect(outputs.score).toBeUndefined();
  });

  it('the action, daemon killed mid-build: exit 3, status error, Classroom result with status error', async () => {
    const target = exercise(BUILD_EXERCISE, { Dockerfile: SLOW_DOCKERFILE });
    const runner = runnerFiles({ exercises: target.spec, submission: target.submission });
    const run = startNode(ACTION, [], { ...runner.env, DOCKER_HOST: engine.host });
    try {
      await run.waitFor(/build-started/);
      engine.kill('SIGKILL');
      expect((await run.exited).code, run.output()).toBe(3);
    } finally {
      await engine.start();
    }
    const outputs = parseRunnerFile(runner.env.GITHUB_OUTPUT ?? '');
    expect(decodeResult(outputs.result)).toMatchObject({ version: 1, status: 'error', max_score: 0 });
    const report = readReport(outputs.report ?? '');
    expect(report.exercises[0]?.status).toBe('error');
    expect(report.passed).toBe(false);
    expect(run.output()).toContain('this is not a grade');
    // The restarted engine kept the run step's container; the post step removes it.
    const runId = runIdIn(run.output());
    const post = startNode(ACTION, [], {
      ...runner.env,
      DOCKER_HOST: engine.host,
      'STATE_run-id': runId,
      'STATE_is-post': 'true',
    });
    expect((await post.exited).code, post.output()).toBe(0);
    expect(await engine.labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  });

  it('the CLI, daemon killed while a script runs: exit 3, status error', async () => {
    const run = await faultWhileScriptWaits(
      () => engine.kill('SIGKILL'),
      () => engine.start(),
    );
    const exerciseResult = readReport(run.report).exercises[0];
    expect(exerciseResult?.status).toBe('error');
    expect(exerciseResult?.score).toBe(0);
    await cleanupOnPrivate(runIdIn(run.output()));
  });

  it('the CLI, daemon restarted while a script runs: exit 3, status error, not a failed check', async () => {
    const run = await faultWhileScriptWaits(() => engine.restart());
    const exerciseResult = readReport(run.report).exercises[0];
    expect(exerciseResult?.status).toBe('error');
    expect(exerciseResult?.setupError ?? '').toMatch(/stopped or restarted during the run/);
    // Engine 26 may not be back by the grader's own cleanup (20.10 is): what the restart left,
    // the reaper removes once the engine answers again (docs/engines.md).
    const runId = runIdIn(run.output());
    await cleanupOnPrivate(runId);
    expect(await engine.labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  });

  it('daemon hanging mid-run (SIGSTOP): exit 3 within the call deadline, and nothing graded', async () => {
    const started = Date.now();
    const run = await faultWhileScriptWaits(
      () => engine.kill('SIGSTOP'),
      () => engine.kill('SIGCONT'),
    );
    // One call runs out its 30 s deadline; the calls after it (checks, cleanup) get 5 s each.
    expect(Date.now() - started).toBeLessThan(120_000);
    const exerciseResult = readReport(run.report).exercises[0];
    expect(exerciseResult?.status).toBe('error');
    expect(exerciseResult?.setupError ?? '').toMatch(/stopped answering/);
    // What the hung engine kept, the reaper removes once it answers again.
    const runId = runIdIn(run.output());
    await cleanupOnPrivate(runId);
    expect(await engine.labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  });

  it('an engine whose API is too old: exit 3 with a message that says so', async () => {
    const dir = tempDir('old-api');
    tempDirs.push(dir);
    const socketPath = path.join(dir, 'old.sock');
    const server = http.createServer((request, response) => {
      const url = request.url ?? '';
      if (url.endsWith('/_ping')) {
        response.writeHead(200, { 'Api-Version': '1.24', 'Content-Type': 'text/plain' }).end('OK');
      } else if (url.endsWith('/version')) {
        response
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ Version: '1.12.6', ApiVersion: '1.24', Os: 'linux' }));
      } else {
        response.writeHead(400, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({
            message: 'client version 1.41 is too new. Maximum supported API version is 1.24',
          }),
        );
      }
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const run = gradeOnPrivate(exercise(RUN_EXERCISE), `unix://${socketPath}`);
      expect((await run.exited).code, run.output()).toBe(3);
      const lines = run.output().trim().split('\n');
      expect(lines.at(-1)).toMatch(
        /^infrastructure error: .*API version is too old.*API 1\.24.*1\.40 or newer/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a missing bridge (the engine's default network broken): exit 3, status error, and says so", async () => {
    await engine.removeBridge();
    try {
      const run = gradeOnPrivate(exercise(RUN_EXERCISE));
      expect((await run.exited).code, run.output()).toBe(3);
      const exerciseResult = readReport(run.report).exercises[0];
      expect(exerciseResult?.status).toBe('error');
      expect(exerciseResult?.setupError ?? '').toMatch(
        // The daemon's words follow: 20.10's, or Engine 25+'s.
        /default bridge network is missing or broken.*(could not find bridge|to bridge \S+ failed: Device does not exist)/,
      );
    } finally {
      await engine.addBridge();
    }
  });

  it('a host port taken outside the run: the engine classifies the refusal as an infrastructure fault', async () => {
    // Nothing the grader itself creates asks for a fixed host port (ports are published on
    // 127.0.0.1 with ephemeral ones), so the real daemon's refusal is produced with the CLI and
    // read through the engine's client, which every engine call goes through.
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const name = `faults-port-${port}`;
    try {
      await engine.docker('create', '--name', name, '-p', `127.0.0.1:${port}:80`, BUSYBOX, 'sleep', '600');
      const client = new DockerClient({ runId: 'faults-port', socketPath: engine.socketPath });
      const error = await client
        .call(`start container ${name}`, (signal) =>
          client.docker.getContainer(name).start({ abortSignal: signal }),
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InfraError);
      expect(error).toMatchObject({ fault: 'port-taken' });
      expect((error as Error).message).toMatch(
        /already used by something outside this run.*address already in use/,
      );
    } finally {
      await engine.docker('rm', '-f', name).catch(() => undefined);
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describe('interrupted runs leave nothing labelled', () => {
  const cases: Array<{ signal: NodeJS.Signals; when: string; target: () => Exercise; marker: RegExp }> = [
    {
      signal: 'SIGINT',
      when: 'mid-build',
      target: () => exercise(BUILD_EXERCISE, { Dockerfile: SLOW_DOCKERFILE }),
      marker: /build-started/,
    },
    {
      signal: 'SIGTERM',
      when: 'mid-build',
      target: () => exercise(BUILD_EXERCISE, { Dockerfile: SLOW_DOCKERFILE }),
      marker: /build-started/,
    },
    {
      signal: 'SIGINT',
      when: 'mid-script',
      target: () => exercise(SCRIPT_EXERCISE, { 'run.sh': WAITING_SCRIPT }),
      marker: /script-ready/,
    },
    {
      signal: 'SIGTERM',
      when: 'mid-script',
      target: () => exercise(SCRIPT_EXERCISE, { 'run.sh': WAITING_SCRIPT }),
      marker: /script-ready/,
    },
  ];
  for (const { signal, when, target, marker } of cases) {
    it(`${signal} ${when}: the CLI exits and no labelled resource is left 5 s later`, async () => {
      const run = gradeOnPrivate(target());
      await run.waitFor(marker);
      const runId = runIdIn(run.output());
      // Something of the run exists when the signal comes: the first step's container.
      expect((await engine.labelled(`${RUN_LABEL}=${runId}`)).length).toBeGreaterThan(0);
      const signalledAt = Date.now();
      run.child.kill(signal);
      const { code } = await run.exited;
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      // "5 s later" is the requirement itself (the runner's grace before SIGKILL is 7.5 s).
      await delay(Math.max(0, signalledAt + 5_000 - Date.now()));
      expect(await engine.labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
    });
  }
});

describe('an interrupted run with a remote machine', () => {
  it('SIGINT mid-script: the machine, what was made on it and its folders are gone 5 s later', async () => {
    // A temp folder of the test's own: the shared one also shows other gradings' machines.
    const temp = mkdtempSync(path.join(os.tmpdir(), 'itg-remote-'));
    const folders = (): string[] =>
      readdirSync(temp).filter((name) => name.startsWith('docker-autograder-remote-'));
    try {
      const run = gradeOnPrivate(
        exercise(REMOTE_EXERCISE, { 'run.sh': REMOTE_WAITING_SCRIPT }),
        engine.host,
        {
          TMPDIR: temp,
        },
      );
      await run.waitFor(/script-ready/);
      const runId = runIdIn(run.output());
      // The sshd container and the container made through it.
      expect((await engine.labelled(`${RUN_LABEL}=${runId}`)).length).toBeGreaterThanOrEqual(2);
      expect(folders().length).toBeGreaterThan(0);
      const signalledAt = Date.now();
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(code).toBe(130);
      await delay(Math.max(0, signalledAt + 5_000 - Date.now()));
      expect(await engine.labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
      expect(folders()).toEqual([]);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
});

describe('bystanders on a shared engine', () => {
  const bystander = { container: 'bystander-ctr', volume: 'bystander-vol', network: 'bystander-net' };

  it("keeps an unlabelled container, volume and network created during a student's script", async () => {
    const target = exercise(SCRIPT_EXERCISE, { 'run.sh': WAITING_SCRIPT });
    const run = gradeOnPrivate(target);
    await run.waitFor(/script-ready/);
    await engine.docker('network', 'create', bystander.network);
    await engine.docker('volume', 'create', bystander.volume);
    await engine.docker(
      'run',
      '-d',
      '--name',
      bystander.container,
      '--network',
      bystander.network,
      '-v',
      `${bystander.volume}:/data`,
      BUSYBOX,
      'sleep',
      '600',
    );
    writeFileSync(path.join(target.submission, 'go'), '');
    expect((await run.exited).code, run.output()).toBe(0);
    expect(await engine.docker('inspect', '--format', '{{.State.Running}}', bystander.container)).toBe(
      'true',
    );
    await engine.docker('volume', 'inspect', bystander.volume);
    await engine.docker('network', 'inspect', bystander.network);
    expect(await engine.labelled(`${RUN_LABEL}=${runIdIn(run.output())}`)).toEqual([]);
  });

  it('keeps them after cleanup --all, which removes every labelled resource and only those', async () => {
    // A labelled leftover of some earlier run, made the way the grader labels.
    await engine.docker('volume', 'create', '--label', `${RUN_LABEL}=ag-earlier-run`, 'leftover-vol');
    const { stdout } = await execFileAsync(process.execPath, [CLI, 'cleanup', '--all'], {
      env: { ...process.env, DOCKER_HOST: engine.host },
    });
    expect(stdout).toMatch(/removed \d+ containers, \d+ networks, 1 volumes/);
    expect(await engine.docker('inspect', '--format', '{{.State.Running}}', bystander.container)).toBe(
      'true',
    );
    await engine.docker('volume', 'inspect', bystander.volume);
    await engine.docker('network', 'inspect', bystander.network);
    await expect(engine.docker('volume', 'inspect', 'leftover-vol')).rejects.toThrow();
  });

  it('ends with no labelled resource on the engine it used', async () => {
    expect(await engine.labelled(RUN_LABEL)).toEqual([]);
  });
});
