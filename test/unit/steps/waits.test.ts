// The wait conditions (src/steps/waits/) through their registry, and the loop that waits for them
// (waitUntilReady), on a fake Engine whose container changes as the wait looks at it.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerChange, ContainerState, LogsResult } from '../../../src/engine/engine';
import type { RunContext } from '../../../src/run/context';
import type { HttpRequest } from '../../../src/shared/http-request';
import type { WaitConditions, WaitKey } from '../../../src/spec/types';
import { waitUntilReady } from '../../../src/steps/readiness';
import type { WaitDefinition } from '../../../src/steps/waits/definition';
import { exitedWait } from '../../../src/steps/waits/exited';
import { httpWait } from '../../../src/steps/waits/http';
import { countMatchingLines, logWait } from '../../../src/steps/waits/log';
import { portWait } from '../../../src/steps/waits/port';
import { conditionsOf, describeConditions } from '../../../src/steps/waits/registry';
import { FakeEngine, fakeRunContext } from '../../support/fake-engine';

const ID = 'id-web';

/**
 * A FakeEngine whose container is `state` (changed by the test, or by `onInspect` as the wait
 * looks), whose output is `output`, and which counts the wait's calls.
 */
class WaitEngine extends FakeEngine {
  state: Partial<ContainerState> = {};
  output = '';
  inspections = 0;
  logReads = 0;
  onInspect: (inspection: number) => void = () => {};

  override async inspectContainer(id: string): Promise<ContainerState> {
    this.inspections += 1;
    this.onInspect(this.inspections);
    this.states.set(id, this.state);
    return super.inspectContainer(id);
  }
  override async logs(): Promise<LogsResult> {
    this.logReads += 1;
    return { stdout: this.output, stderr: '', truncated: false };
  }
}

/** A WaitEngine that follows the container, as the Docker engine does: the test tells of changes. */
class WatchingEngine extends WaitEngine {
  tell: (change: ContainerChange) => void = () => {
    throw new Error('the wait does not follow the container');
  };
  followsOutput: boolean | undefined;

  async watchContainer(
    _id: string,
    options: { output: boolean },
    onChange: (change: ContainerChange) => void,
  ): Promise<void> {
    this.followsOutput = options.output;
    this.tell = onChange;
  }
}

const requests: HttpRequest[] = [];
function context(engine: FakeEngine, statuses: number[] = [200]): RunContext {
  return {
    ...fakeRunContext(engine, '/nonexistent'),
    http: async (request) => {
      requests.push(request);
      const status = statuses.length > 1 ? statuses.shift() : statuses[0];
      return { status: status ?? 200, headers: {}, body: '', truncated: false };
    },
  };
}

function waitFor(engine: FakeEngine, wait: WaitConditions, statuses?: number[]) {
  return waitUntilReady('web', ID, wait, context(engine, statuses));
}

const servers: net.Server[] = [];
afterEach(() => {
  requests.length = 0;
  for (const server of servers.splice(0)) server.close();
});

/** A local TCP port: one whose server greets each connection, or one nothing listens on. */
async function localPort(listening: boolean): Promise<number> {
  const server = net.createServer((socket) => socket.end('hello\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  if (listening) servers.push(server);
  else await new Promise((resolve) => server.close(resolve));
  return address.port;
}

function published(containerPort: number, hostPort: number): Partial<ContainerState> {
  return { publishedPorts: { [`${containerPort}/tcp`]: hostPort }, portBindings: {} };
}

describe('the wait registry', () => {
  it('knows every condition of WaitConditions, in the order they are checked and worded', () => {
    const every: Required<Omit<WaitConditions, 'timeout'>> = {
      http: { port: 80, path: '/health', status: 204 },
      port: 5432,
      healthy: true,
      log: { matches: 'up', count: 2 },
      exited: true,
    };
    expect(conditionsOf(every).map((condition) => condition.expected)).toEqual([
      'the container has exited',
      'at least 2 output lines match /up/',
      'health is "healthy"',
      'port 5432 accepts TCP connections',
      'GET /health on port 80 answers status 204',
    ]);
    expect(conditionsOf({ timeout: '5s' })).toEqual([]);
  });

  it('is typed so that a condition left out does not compile (checked by `npm run typecheck`)', () => {
    // @ts-expect-error `healthy` is missing: the typecheck fails if this compiles.
    const incomplete: { [K in WaitKey]: WaitDefinition<K> } = {
      exited: exitedWait,
      log: logWait,
      port: portWait,
      http: httpWait,
    };
    expect(Object.keys(incomplete)).toEqual(['exited', 'log', 'port', 'http']);
  });

  it('says what a wait expects', () => {
    expect(
      describeConditions({
        log: { matches: 'up', count: 2 },
        port: 5432,
        http: { port: 80, path: '/health', status: 204 },
        healthy: true,
      }),
    ).toBe(
      'at least 2 output lines match /up/, and health is "healthy", and port 5432 accepts TCP connections, and GET /health on port 80 answers status 204',
    );
    expect(describeConditions({ exited: true })).toBe('the container has exited');
    expect(describeConditions({ log: 'ready' })).toBe('an output line matches /ready/');
    expect(describeConditions({ http: { port: 80 } })).toBe('GET / on port 80 answers a status below 500');
    expect(describeConditions({ timeout: '5s' })).toBe('the container is running');
  });
});

describe('a wait without conditions', () => {
  it('holds for a running container and fails at once for a stopped one, with its exit and log tail', async () => {
    const engine = new WaitEngine();
    expect(await waitFor(engine, {})).toBeUndefined();
    engine.inspections = 0;
    engine.running = false;
    engine.state = { exitCode: 137, oomKilled: true };
    engine.output = 'Killed';
    expect(await waitFor(engine, {})).toEqual({
      message: 'container "web" stopped (exit code 137, out of memory) before it was ready',
      expected: 'the container is running',
      actual: 'exited, exit code 137, out of memory',
      log: 'Killed',
    });
    expect(engine.inspections).toBe(1);
  });
});

describe('exited', () => {
  it('holds once the container stops: stopping is what it waits for', async () => {
    const engine = new WaitEngine();
    engine.onInspect = (inspection) => {
      if (inspection === 3) engine.running = false;
    };
    expect(await waitFor(engine, { exited: true })).toBeUndefined();
    expect(engine.inspections).toBe(3);
  });

  it('times out on a container that keeps running', async () => {
    const failure = await waitFor(new WaitEngine(), { exited: true, timeout: '100ms' });
    expect(failure?.message).toBe('container "web" was not ready within 100ms: it is still running');
    expect(failure?.expected).toBe('the container has exited');
  });
});

describe('log', () => {
  it('holds when enough lines of the output match', async () => {
    const engine = new WaitEngine();
    engine.output = 'starting\nready on 8080\nready on 8081\n';
    expect(await waitFor(engine, { log: { matches: '^ready', count: 2 } })).toBeUndefined();
  });

  it('says how many lines matched when too few did', async () => {
    const engine = new WaitEngine();
    engine.output = 'starting\nready on 8080\n';
    const failure = await waitFor(engine, { log: { matches: '^ready', count: 2 }, timeout: '100ms' });
    expect(failure?.actual).toBe('1 output line matched /^ready/, expected at least 2');
    const single = await waitFor(engine, { log: 'listening', timeout: '100ms' });
    expect(single?.actual).toBe('no output line matched /listening/');
  });

  it('reads the output again when the engine tells of new output, not before', async () => {
    const engine = new WatchingEngine();
    const waiting = waitFor(engine, { log: 'ready' });
    await expect.poll(() => engine.logReads).toBe(1);
    expect(engine.followsOutput).toBe(true);
    engine.output = 'ready\n';
    engine.tell('output');
    expect(await waiting).toBeUndefined();
    expect(engine.logReads).toBe(2);
    // Only the log condition reads the output: the engine is not asked to follow it otherwise.
    await waitFor(engine, { exited: true, timeout: '1ms' });
    expect(engine.followsOutput).toBe(false);
  });

  it('counts matching lines, stdout and stderr alike', () => {
    expect(countMatchingLines('ready\nnot yet\r\nready\n', /^ready$/)).toBe(2);
  });
});

describe('healthy', () => {
  it('holds once the healthcheck says healthy', async () => {
    const engine = new WaitEngine();
    engine.state = { health: 'starting' };
    engine.onInspect = (inspection) => {
      if (inspection === 2) engine.state = { health: 'healthy' };
    };
    expect(await waitFor(engine, { healthy: true })).toBeUndefined();
  });

  it('fails at once without a healthcheck, and names the health it saw at the timeout', async () => {
    const engine = new WaitEngine();
    engine.output = 'up';
    expect(await waitFor(engine, { healthy: true })).toEqual({
      message:
        'container "web" can never be ready: it has no healthcheck (neither its image nor the step defines one)',
      expected: 'health is "healthy"',
      actual: 'it has no healthcheck (neither its image nor the step defines one)',
      log: 'up',
    });
    expect(engine.inspections).toBe(1);
    engine.state = { health: 'unhealthy' };
    const failure = await waitFor(engine, { healthy: true, timeout: '100ms' });
    expect(failure?.actual).toBe('its health is "unhealthy", expected "healthy"');
  });
});

describe('port', () => {
  it('holds when a connection to the published port succeeds', async () => {
    const engine = new WaitEngine();
    engine.state = published(5432, await localPort(true));
    expect(await waitFor(engine, { port: 5432 })).toBeUndefined();
  });

  it('probes again until the time is up, and says why the last probe failed', async () => {
    const engine = new WaitEngine();
    engine.state = published(5432, await localPort(false));
    const failure = await waitFor(engine, { port: 5432, timeout: '200ms' });
    expect(failure?.message).toMatch(
      /^container "web" was not ready within 200ms: port 5432: .*connection refused/,
    );
    // 20, 40, 80 ms between probes: more than one probe, fewer than polling without pause.
    expect(engine.inspections).toBeGreaterThan(1);
    expect(engine.inspections).toBeLessThan(10);
  });

  it('fails at once on a port the container does not publish', async () => {
    const engine = new WaitEngine();
    const failure = await waitFor(engine, { port: 5432 });
    expect(failure?.message).toBe('container "web" can never be ready: port 5432 is not published');
    expect(engine.inspections).toBe(1);
  });

  it('fails at once when the container stops while it is probed', async () => {
    const engine = new WaitEngine();
    engine.state = published(5432, await localPort(false));
    engine.onInspect = (inspection) => {
      if (inspection === 2) engine.running = false;
    };
    const failure = await waitFor(engine, { port: 5432 });
    expect(failure?.message).toBe('container "web" stopped (exit code 1) before it was ready');
  });

  it('goes on while the container restarts under its restart policy', async () => {
    const engine = new WaitEngine();
    const hostPort = await localPort(true);
    engine.state = { status: 'restarting', running: false };
    engine.onInspect = (inspection) => {
      if (inspection === 3) engine.state = published(5432, hostPort);
    };
    expect(await waitFor(engine, { port: 5432 })).toBeUndefined();
    expect(engine.inspections).toBe(3);
  });
});

describe('http', () => {
  it('asks the published port until it answers a status below 500', async () => {
    const engine = new WaitEngine();
    engine.state = published(80, 49200);
    expect(await waitFor(engine, { http: { port: 80, path: '/health' } }, [503, 502, 404])).toBeUndefined();
    expect(requests.map((request) => `${request.host}:${request.port}${request.path}`)).toEqual([
      '127.0.0.1:49200/health',
      '127.0.0.1:49200/health',
      '127.0.0.1:49200/health',
    ]);
  });

  it('waits for the status asked for, and names the last answer', async () => {
    const engine = new WaitEngine();
    engine.state = published(80, 49200);
    const failure = await waitFor(engine, { http: { port: 80, status: 204 }, timeout: '100ms' }, [200]);
    expect(failure?.message).toBe(
      'container "web" was not ready within 100ms: GET / on port 80 answered 200',
    );
    expect(failure?.expected).toBe('GET / on port 80 answers status 204');
  });

  it('names the last answer when a late wake-up leaves too little time for another probe', async () => {
    // A loaded machine wakes the pause late: the probe after it would get a few milliseconds,
    // and its "no complete answer within 30 ms" would hide the 404 the server really answered.
    const engine = new WaitEngine();
    engine.state = published(80, 49200);
    let clock = 0;
    const slowServer: RunContext = {
      ...fakeRunContext(engine, '/nonexistent'),
      deadline: 1000,
      now: () => clock,
      http: async (request) => {
        requests.push(request);
        if (request.timeoutMs < 50) throw new Error(`no complete answer within ${request.timeoutMs} ms`);
        clock = 970;
        return { status: 404, headers: {}, body: '', truncated: false };
      },
    };
    const failure = await waitUntilReady(
      'web',
      ID,
      { http: { port: 80, status: 200 }, timeout: '1s' },
      slowServer,
    );
    expect(failure?.actual).toBe('GET / on port 80 answered 404');
    expect(requests).toHaveLength(1);
  });

  it('fails at once on an unpublished port, before any condition is probed', async () => {
    const engine = new WaitEngine();
    engine.state = published(5432, await localPort(false));
    const failure = await waitFor(engine, { port: 5432, http: { port: 80 } });
    expect(failure?.actual).toBe('port 80 is not published');
    expect(engine.inspections).toBe(1);
    expect(requests).toEqual([]);
  });
});
