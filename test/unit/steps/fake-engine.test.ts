// Steps against a fake Engine: what they ask of the engine, and how its refusals become the
// student's failures while its breakdowns stay errors.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerApiError } from '../../../src/engine/docker-engine';
import type { ContainerRequest, ImageDetails } from '../../../src/engine/engine';
import type { RunContext } from '../../../src/run/context';
import { InfraError } from '../../../src/shared/errors';
import type { StepSpec } from '../../../src/spec/types';
import { CLIENT_IMAGE } from '../../../src/steps/client-image';
import { runStepSpec } from '../../../src/steps/registry';
import { FakeEngine, fakeRunContext } from '../../support/fake-engine';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function context(engine: FakeEngine): RunContext {
  const submissionDir = mkdtempSync(path.join(os.tmpdir(), 'steps-fake-'));
  dirs.push(submissionDir);
  mkdirSync(path.join(submissionDir, 'html'));
  return fakeRunContext(engine, submissionDir, 'unit/steps');
}

async function run(steps: StepSpec[], ctx: RunContext) {
  for (const step of steps) {
    const failure = await runStepSpec(step, ctx);
    if (failure) return failure;
  }
  return undefined;
}

describe('run step', () => {
  it('creates a named volume once, mounts submission folders by real path, names itself on networks', async () => {
    const engine = new FakeEngine();
    const ctx = context(engine);
    const failure = await run(
      [
        { network: { name: 'front' } },
        {
          run: {
            name: 'web',
            image: 'busybox',
            volumes: ['data:/data', './html:/www:ro'],
            networks: [{ name: 'front', aliases: ['site'] }, 'bridge'],
            restart: 'unless-stopped',
          },
        },
        { run: { name: 'worker', image: 'busybox', volumes: ['data:/data'], networks: ['front'] } },
      ],
      ctx,
    );
    expect(failure).toBeUndefined();
    expect(engine.calls.filter((call) => call.startsWith('create-volume'))).toEqual([
      'create-volume fake-run-1-data',
    ]);
    const web = engine.containers.get('id-fake-run-1-web');
    expect(web?.mounts).toEqual([
      { type: 'volume', source: 'fake-run-1-data', target: '/data', readOnly: false },
      { type: 'bind', source: path.join(ctx.submissionDir, 'html'), target: '/www', readOnly: true },
    ]);
    expect(web?.networks).toEqual([
      { name: 'fake-run-1-front', aliases: ['web', 'site'] },
      { name: 'bridge' },
    ]);
    expect(web?.restartPolicy).toEqual({ name: 'unless-stopped' });
    expect(ctx.resources.volumes.resolve('data')).toBe('fake-run-1-data');
    expect(engine.containers.get('id-fake-run-1-worker')?.networks).toEqual([
      { name: 'fake-run-1-front', aliases: ['worker'] },
    ]);
  });
});

describe('network and volume steps', () => {
  it('turn an engine refusal into a failure of the step', async () => {
    const engine = new FakeEngine();
    engine.createVolume = async () => {
      throw new DockerApiError('create volume x: volume name is invalid', 400);
    };
    engine.createNetwork = async () => {
      throw new DockerApiError('create network x: plugin not found', 404);
    };
    const ctx = context(engine);
    expect(await run([{ volume: { name: 'data' } }], ctx)).toEqual({
      message: 'volume "data" could not be created: create volume x: volume name is invalid',
    });
    expect(await run([{ network: { name: 'front', driver: 'weave' } }], ctx)).toEqual({
      message: 'network "front" could not be created: create network x: plugin not found',
    });
  });

  it('let an engine breakdown through as an error', async () => {
    const engine = new FakeEngine();
    engine.createVolume = async () => {
      throw new InfraError('Docker engine not reachable');
    };
    await expect(run([{ volume: { name: 'data' } }], context(engine))).rejects.toThrow(InfraError);
  });
});

describe('exec step', () => {
  it('fails with the exit code and the output tail', async () => {
    const engine = new FakeEngine();
    engine.execResult = {
      exitCode: 4,
      stdout: 'partial\n',
      stderr: 'boom\n',
      truncated: false,
      timedOut: false,
    };
    const failure = await run(
      [{ run: { name: 'box', image: 'busybox' } }, { exec: { container: 'box', command: ['make', 'test'] } }],
      context(engine),
    );
    expect(failure).toEqual({
      message: '`make test` in container "box" exited with code 4, expected 0',
      expected: 'exit code 0',
      actual: 'exit code 4',
      log: 'partial\n\nboom',
    });
  });
});

describe('recreate step', () => {
  it('stops, removes and creates the container again from the same request', async () => {
    const engine = new FakeEngine();
    const ctx = context(engine);
    const failure = await run(
      [
        { run: { name: 'db', image: 'busybox', volumes: ['data:/data'], env: { A: '1' } } },
        { recreate: { container: 'db' } },
      ],
      ctx,
    );
    expect(failure).toBeUndefined();
    const creates = engine.calls.filter((call) => call.startsWith('create '));
    expect(creates).toEqual(['create fake-run-1-db from busybox', 'create fake-run-1-db from busybox']);
    const order = engine.calls.filter((call) => /^(stop|remove|create|start) /.test(call));
    expect(order).toEqual([
      'create fake-run-1-db from busybox',
      'start id-fake-run-1-db',
      'stop id-fake-run-1-db',
      'remove id-fake-run-1-db',
      'create fake-run-1-db from busybox',
      'start id-fake-run-1-db',
    ]);
    expect(engine.containers.get('id-fake-run-1-db')?.env).toEqual({ A: '1' });
  });

  it('refuses a container no run step started', async () => {
    const ctx = context(new FakeEngine());
    expect(await run([{ recreate: { container: 'db' } }], ctx)).toEqual({
      message: 'no run step started a container "db", so it cannot be recreated',
    });
  });
});

describe('kill step', () => {
  it('normalises signal names and waits only for SIGKILL to take effect', async () => {
    const engine = new FakeEngine();
    const ctx = context(engine);
    await run([{ run: { name: 'a', image: 'busybox' } }, { kill: { container: 'a', signal: 'HUP' } }], ctx);
    expect(engine.calls).toContain('kill id-fake-run-1-a SIGHUP');
    expect(engine.calls).not.toContain('wait id-fake-run-1-a');
    engine.runningById.set('id-fake-run-1-a', true);
    await run([{ kill: { container: 'a' } }], ctx);
    expect(engine.calls).toContain('kill id-fake-run-1-a SIGKILL');
    expect(engine.calls).toContain('wait id-fake-run-1-a');
  });
});

describe('script step', () => {
  it('runs the script in a client container that reaches only the gate, and removes it', async () => {
    const engine = new FakeEngine();
    const ctx = context(engine);
    engine.images.set(CLIENT_IMAGE, {
      ...(engine.images.get('busybox') as ImageDetails),
      id: 'sha256:c11e47',
    });
    engine.waitForExit = async () => 0;
    const requests: ContainerRequest[] = [];
    const create = engine.createContainer.bind(engine);
    engine.createContainer = (request) => {
      requests.push(request);
      return create(request);
    };
    process.env.GITHUB_TOKEN = 'secret';
    try {
      writeFileSync(path.join(ctx.submissionDir, 'run.sh'), 'exit 0\n');
      expect(await run([{ script: { file: 'run.sh' } }], ctx)).toBeUndefined();
    } finally {
      delete process.env.GITHUB_TOKEN;
    }
    const created = engine.calls.find((call) => call.startsWith('create '));
    const id = `id-${created?.split(' ')[1]}`;
    // From the id the client image's tag had, not from the tag (client-image.ts).
    expect(created).toMatch(/^create fake-run-1-client-[0-9a-f]{8} from sha256:c11e47$/);
    expect(engine.calls.slice(engine.calls.indexOf(created ?? ''))).toEqual([
      created,
      `start ${id}`,
      `remove ${id}`,
    ]);
    const submission = realpathSync(ctx.submissionDir);
    expect(requests[0]).toMatchObject({
      networkMode: 'none',
      workdir: submission,
      cmd: ['--trace', path.join(submission, 'run.sh')],
      labels: { 'org.docker-autograder.scope': 'fake-run-1' },
    });
    expect(requests[0]?.env).toEqual({
      HOME: '/tmp',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      DOCKER_HOST: 'unix:///run/docker-autograder/docker.sock',
      DOCKER_BUILDKIT: '0',
    });
    expect(requests[0]?.mounts).toEqual([
      { type: 'bind', source: submission, target: submission },
      {
        type: 'bind',
        source: expect.stringMatching(/docker-autograder-gate-/),
        target: '/run/docker-autograder',
      },
    ]);
  });
});
