// The disk watch's decisions against an engine that answers as told (the real engine:
// test/integration/abuse/disk-bound.itg.test.ts): whom it kills, when, and what it says.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DiskWatch, type DiskWatchOptions, watchDisk } from '../../../src/steps/disk-watch';

const MIB = 1024 * 1024;

interface Listed {
  Id: string;
  SizeRw: number;
  Labels: Record<string, string>;
  Names: string[];
}

/** An engine whose container list (with sizes) the test sets; kills recorded, some refused. */
function fakeEngine(): {
  socketPath: string;
  containers: Listed[];
  kills: string[];
  paused: Set<string>;
  lists: string[];
  close: () => Promise<void>;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'disk-watch-'));
  const socketPath = path.join(dir, 'engine.sock');
  const state = {
    socketPath,
    containers: [] as Listed[],
    kills: [] as string[],
    paused: new Set<string>(),
    lists: [] as string[],
    close: (): Promise<void> => Promise.resolve(),
  };
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const url = request.url ?? '';
      const kill = /^\/containers\/([^/]+)\/kill$/.exec(url);
      if (request.method === 'GET' && url.startsWith('/containers/json')) {
        state.lists.push(decodeURIComponent(url));
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(state.containers));
      } else if (request.method === 'POST' && kill !== null) {
        const id = kill[1] ?? '';
        if (state.paused.has(id)) {
          response.writeHead(409, { 'Content-Type': 'application/json' });
          response.end(
            JSON.stringify({
              message: `Container ${id} is paused. Unpause the container before stopping or killing`,
            }),
          );
          return;
        }
        state.kills.push(id);
        state.containers = state.containers.filter((container) => container.Id !== id);
        response.writeHead(204);
        response.end();
      } else {
        response.writeHead(404);
        response.end();
      }
    });
  });
  server.listen(socketPath);
  state.close = () =>
    new Promise((resolve) => {
      server.close(() => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
    });
  return state;
}

const engines: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

function container(id: string, sizeMiB: number, labels: Record<string, string> = {}): Listed {
  return { Id: id, SizeRw: sizeMiB * MIB, Labels: labels, Names: [`/scoped-${id}`] };
}

/** A watch of run `run1`'s exercise `run1-ex` over `socketPath`, bound at 64 MiB; `options` add or override. */
function watchRun1(
  socketPath: string,
  options: Partial<DiskWatchOptions> & { intervalMs: number },
): DiskWatch {
  return watchDisk({
    upstream: { socketPath },
    runId: 'run1',
    scopes: ['run1-ex'],
    maxBytes: 64 * MIB,
    ...options,
  });
}

async function until(what: () => boolean): Promise<void> {
  for (let tries = 0; tries < 400 && !what(); tries++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(what()).toBe(true);
}

describe('the disk watch', () => {
  it('kills a container past the bound, and the step with it, naming it as the student did', async () => {
    const engine = fakeEngine();
    engines.push(engine);
    engine.containers = [
      container('small', 10, { 'org.docker-autograder.name': 'small' }),
      container('big', 80, { 'org.docker-autograder.name': 'filler' }),
      container('client', 1, { 'org.docker-autograder.client': 'true' }),
    ];
    const seen: string[] = [];
    const watch = watchRun1(engine.socketPath, {
      clientId: 'client',
      intervalMs: 10,
      onStopped: (message) => seen.push(message),
    });
    await until(() => engine.kills.length === 2);
    const result = await watch.stop();
    expect(engine.kills).toEqual(['big', 'client']);
    expect(result.endedStep).toBe(true);
    expect(result.messages).toEqual([
      'container filler: it wrote 80 MiB to its own filesystem, more than the 64 MiB a container may write, and was stopped (killed): write less in the container (remove downloads and temporary files in the command that made them)',
    ]);
    expect(seen).toEqual(result.messages);
    // The exercise's running containers only, with their sizes.
    expect(engine.lists[0]).toContain('size=1');
    expect(engine.lists[0]).toContain(
      '"label":["org.docker-autograder.run=run1","org.docker-autograder.scope=run1-ex"]',
    );
    expect(engine.lists[0]).toContain('"status":["running"]');
  });

  it('kills a paused container at a later read, once it can be killed', async () => {
    const engine = fakeEngine();
    engines.push(engine);
    engine.containers = [container('big', 80)];
    engine.paused.add('big');
    const watch = watchRun1(engine.socketPath, {
      intervalMs: 10,
    });
    await until(() => engine.lists.length >= 3);
    expect(engine.kills).toEqual([]);
    engine.paused.delete('big');
    await until(() => engine.kills.length === 1);
    const result = await watch.stop();
    expect(result.messages).toEqual([expect.stringMatching(/^container scoped-big: it wrote 80 MiB/)]);
    // No step's container given: the step is left to end by itself.
    expect(result.endedStep).toBe(false);
  });

  it('reads once more when stopped, and then kills only what is past the bound, not the step', async () => {
    const engine = fakeEngine();
    engines.push(engine);
    const watch = watchRun1(engine.socketPath, {
      clientId: 'client',
      intervalMs: 60_000,
    });
    engine.containers = [
      container('late', 100),
      container('client', 1, { 'org.docker-autograder.client': 'true' }),
    ];
    const result = await watch.stop();
    expect(engine.kills).toEqual(['late']);
    expect(result).toEqual({
      messages: [expect.stringMatching(/^container scoped-late: it wrote 100 MiB/)],
      endedStep: false,
    });
  });

  it('leaves a step alone when the engine cannot be asked', async () => {
    const watch = watchRun1(path.join(os.tmpdir(), 'no-such-engine.sock'), {
      intervalMs: 5,
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await watch.stop()).toEqual({ messages: [], endedStep: false });
  });
});

describe('the disk watch of a step with a remote machine', () => {
  it('reads the containers of both machines (each scope of the exercise), and kills one once', async () => {
    const engine = fakeEngine();
    engines.push(engine);
    engine.containers = [container('big', 80, { 'org.docker-autograder.name': 'filler' })];
    const watch = watchRun1(engine.socketPath, {
      scopes: ['run1-ex', 'run1-ex.remote'],
      intervalMs: 10,
    });
    await until(() => engine.kills.length > 0);
    const result = await watch.stop();
    for (const scope of ['run1-ex', 'run1-ex.remote'])
      expect(engine.lists.some((list) => list.includes(`"org.docker-autograder.scope=${scope}"`))).toBe(true);
    expect(engine.kills).toEqual(['big']);
    expect(result.messages).toHaveLength(1);
  });
});
