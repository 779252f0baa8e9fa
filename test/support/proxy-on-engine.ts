// The policy proxy in front of the engine under test, started as grade() starts it for a run's
// script: for the integration tests that attack the gate (test/integration/abuse, proxy).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { RUN_LABEL } from '../../src/naming/labels';
import type { PolicyProxy } from '../../src/proxy/index';
import { dockerThroughProxy, ENGINE_SOCKET, labelled, onEngine, type Run, tempDir } from './integration';
import type { Answer } from './proxy-attacks';
import { type ProxiedRun, startRunProxy } from './proxy-for-run';
import { rawExchange, socketRequest } from './sockets';

/**
 * The policy proxy in front of the engine under test, as a run's script has it: its socket in
 * `socketDir`, the run's scope, the submission folder, and the default policy (no extra
 * capabilities, no public ports).
 */
export function startProxyOnEngine(run: ProxiedRun & { socketDir: string }): Promise<PolicyProxy> {
  return startRunProxy(ENGINE_SOCKET, path.join(run.socketDir, 'docker.sock'), run);
}

/**
 * A docker command line as its arguments: `line` split at its spaces, then `whole` as they are
 * (an argument holding spaces, such as the command a container runs with `sh -c`).
 */
export function words(line: string, ...whole: string[]): string[] {
  return [...line.split(' '), ...whole];
}

/**
 * A run of a test file's own on the engine under test, as a student's script meets it: a run
 * id and scope, a submission folder and a socket folder, and the policy proxy. start() (in
 * beforeAll) starts the proxy; stop() (in afterAll) closes it, removes everything of the run
 * and expects nothing of it left on the engine.
 */
export class ProxyRun implements ProxiedRun {
  readonly runId: string;
  readonly scope: string;
  submission = '';
  socketDir = '';
  private started: PolicyProxy | undefined;

  /** `name` starts the run id and the folders' names; `timeoutMs` bounds each docker command. */
  constructor(
    private readonly name: string,
    private readonly timeoutMs = 60_000,
  ) {
    this.runId = `${name}-${randomBytes(4).toString('hex')}`;
    this.scope = `${this.runId}-1`;
  }

  get proxy(): PolicyProxy {
    if (this.started === undefined) throw new Error(`the proxy of ${this.runId} is not started`);
    return this.started;
  }

  async start(): Promise<void> {
    this.submission = tempDir(`${this.name}-submission`);
    this.socketDir = tempDir(`${this.name}-socket`);
    this.started = await startProxyOnEngine(this);
  }

  /** The docker CLI through the proxy (or through `on`, another of the run's), as the student's script runs it. */
  docker(args: string[], on: PolicyProxy = this.proxy): Promise<Run> {
    return dockerThroughProxy(on.socketPath, this.socketDir, args, {
      cwd: this.submission,
      timeoutMs: this.timeoutMs,
    });
  }

  /** One HTTP request to the proxy, a JSON body when given, as a script can send it by hand. */
  request(method: string, url: string, body?: string): Promise<Answer> {
    return socketRequest(this.proxy.socketPath, method, url, body);
  }

  /** Raw bytes to the proxy; all it answers until it closes the connection. */
  raw(bytes: string): Promise<string> {
    return rawExchange(this.proxy.socketPath, bytes, { timeoutMs: 30_000 });
  }

  async stop(): Promise<void> {
    await this.started?.close();
    await removeRunObjects(this.runId);
    for (const dir of [this.submission, this.socketDir])
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    expect(await labelled(`${RUN_LABEL}=${this.runId}`)).toEqual([]);
  }
}

type RunObjectKind = 'container' | 'network' | 'volume' | 'image';

const LIST: Record<RunObjectKind, string[]> = {
  container: ['ps', '-aq', '--no-trunc'],
  network: ['network', 'ls', '-q', '--no-trunc'],
  volume: ['volume', 'ls', '-q'],
  image: ['image', 'ls', '-q', '--no-trunc'],
};

/** The ids (volume names) of the run's objects of one kind on the engine under test, stopped containers included. */
export async function runObjects(kind: RunObjectKind, runId: string): Promise<string[]> {
  const ids = (await onEngine([...LIST[kind], '--filter', `label=${RUN_LABEL}=${runId}`])).split('\n');
  return [...new Set(ids.filter(Boolean))];
}

/** Removes every container (with its anonymous volumes), network, volume and image of the run. */
export async function removeRunObjects(runId: string): Promise<void> {
  const removal: Record<RunObjectKind, string[]> = {
    container: ['rm', '-f', '-v'],
    network: ['network', 'rm'],
    volume: ['volume', 'rm'],
    image: ['rmi', '-f'],
  };
  for (const kind of ['container', 'network', 'volume', 'image'] as const) {
    const ids = await runObjects(kind, runId);
    if (ids.length > 0) await onEngine([...removal[kind], ...ids]);
  }
}
