import { describe, expect, it } from 'vitest';
import { containerCheck, portList } from '../../../src/checks/kinds/container';
import { networkCheck } from '../../../src/checks/kinds/network';
import { volumeCheck } from '../../../src/checks/kinds/volume';
import { MemoryFact } from '../../../src/checks/memory-fact';
import { friendlyBindSource, friendlyResourceName } from '../../../src/checks/observed-names';
import type { RunContext } from '../../../src/run/context';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../../../src/run/resolve';
import { contextOn, RecordingEngine, SCOPE } from '../../support/unit-checks';

describe('container check', () => {
  it('observes state and configuration by the names the exercise uses', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    context.resources.networks.add('backend', `${SCOPE}-backend`);
    context.resources.volumes.add('data', `${SCOPE}-data`);
    const id = await engine.runStep(context, 'web', {
      env: { MY_VAR: 'my_value' },
      user: '1000',
      hostname: 'myhost',
      labels: { course: 'docker', 'org.docker-autograder.scope': SCOPE },
      restartPolicy: { name: 'unless-stopped' },
      networks: [{ name: `${SCOPE}-backend` }, { name: 'bridge' }],
      mounts: [
        { type: 'volume', source: `${SCOPE}-data`, target: '/data' },
        { type: 'bind', source: '/work/submission/site', target: '/www', readOnly: true },
      ],
    });
    engine.states.set(id, { portBindings: { '80/tcp': [8080, 8081], '443/tcp': [8443] } });
    expect(await containerCheck.observe({ name: 'web' }, context)).toEqual({
      facts: {
        exists: true,
        status: 'running',
        running: true,
        exitCode: 0,
        oomKilled: false,
        health: 'none',
        restartPolicy: 'unless-stopped',
        restartCount: 0,
        memory: new MemoryFact(0),
        pidsLimit: 0,
        pidMode: '',
        ports: ['8080->80/tcp', '8081->80/tcp', '8443->443/tcp'],
        env: ['MY_VAR=my_value'],
        mounts: [
          { type: 'volume', source: `${SCOPE}-data`, destination: '/data', name: 'data', readOnly: false },
          { type: 'bind', source: 'site', destination: '/www', readOnly: true },
        ],
        networks: ['backend', 'bridge'],
        image: 'busybox',
        user: '1000',
        hostname: 'myhost',
        labels: { course: 'docker' },
        processes: ['sleep 300'],
      },
    });
  });

  it('observes a stopped container with no processes, and a missing one as exists: false', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    const id = await engine.runStep(context, 'job');
    engine.runningById.set(id, false);
    expect(await containerCheck.observe({ name: 'job' }, context)).toMatchObject({
      facts: { status: 'exited', running: false, exitCode: 1, processes: [] },
    });
    expect(engine.calls.some((call) => call.startsWith('processes'))).toBe(false);
    expect(await containerCheck.observe({ name: 'ghost' }, context)).toEqual({ facts: { exists: false } });
  });

  it('shows ports as docker ps does', () => {
    expect(portList({})).toEqual([]);
    expect(portList({ '53/udp': [5353], '80/tcp': [8080] })).toEqual(['5353->53/udp', '8080->80/tcp']);
  });
});

describe('names shown to the student', () => {
  it('strips a compose project and a step scope, only where the mapping confirms it', () => {
    const context = contextOn(new RecordingEngine());
    context.resources.composeProjects.push('proj1');
    context.resources.networks.add('front', `${SCOPE}-front`);
    expect(friendlyResourceName('network', 'proj1_default', context)).toBe('default');
    expect(friendlyResourceName('network', `${SCOPE}-front`, context)).toBe('front');
    // The scope prefix alone is no proof: this network is not the step's.
    expect(friendlyResourceName('network', `${SCOPE}-other`, context)).toBe(`${SCOPE}-other`);
    expect(friendlyResourceName('volume', `${SCOPE}-front`, context)).toBe(`${SCOPE}-front`);
    expect(friendlyResourceName('network', 'bridge', context)).toBe('bridge');
  });

  it('shows bind sources inside the submission relative to it', () => {
    const context = contextOn(new RecordingEngine());
    expect(friendlyBindSource('/work/submission', context)).toBe('.');
    expect(friendlyBindSource('/work/submission/site/html', context)).toBe('site/html');
    expect(friendlyBindSource('/work/submission-other/x', context)).toBe('/work/submission-other/x');
    expect(friendlyBindSource('/etc', context)).toBe('/etc');
  });
});

/** A recording engine and a run context on it that has brought up the compose project `project`. */
function inComposeProject(project: string): { engine: RecordingEngine; context: RunContext } {
  const engine = new RecordingEngine();
  const context = contextOn(engine);
  context.resources.composeProjects.push(project);
  return { engine, context };
}

describe('network check', () => {
  it("finds a step's network and shows members by step, service and engine name", async () => {
    const { engine, context } = inComposeProject('proj1');
    await engine.createNetwork({ name: `${SCOPE}-front`, labels: { tier: 'web' } });
    context.resources.networks.add('front', `${SCOPE}-front`);
    await engine.runStep(context, 'proxy', { networks: [{ name: `${SCOPE}-front` }] });
    await engine.createContainer({
      name: 'proj1_api_1',
      image: 'busybox',
      labels: { [COMPOSE_PROJECT_LABEL]: 'proj1', [COMPOSE_SERVICE_LABEL]: 'api' },
      networks: [{ name: `${SCOPE}-front` }],
    });
    await engine.createContainer({
      name: 'my-nginx',
      image: 'nginx',
      networks: [{ name: `${SCOPE}-front` }],
    });
    expect(await networkCheck.observe({ name: 'front' }, context)).toEqual({
      facts: {
        exists: true,
        driver: 'bridge',
        internal: false,
        labels: { tier: 'web' },
        members: ['api', 'my-nginx', 'proxy'],
      },
    });
  });

  it("finds a compose project's network, an engine network, and a missing one as exists: false", async () => {
    const { engine, context } = inComposeProject('proj1');
    await engine.createNetwork({ name: 'proj1_private', internal: true });
    await engine.createNetwork({ name: 'student-net' });
    expect(await networkCheck.observe({ name: 'private' }, context)).toMatchObject({
      facts: { exists: true, internal: true, members: [] },
    });
    expect(await networkCheck.observe({ name: 'student-net' }, context)).toMatchObject({
      facts: { exists: true },
    });
    expect(await networkCheck.observe({ name: 'nope' }, context)).toEqual({ facts: { exists: false } });
  });
});

describe('volume check', () => {
  it("finds a step's volume, a compose project's volume, and a missing one as exists: false", async () => {
    const { engine, context } = inComposeProject('proj1');
    await engine.createVolume({ name: `${SCOPE}-data`, labels: { kept: 'yes' } });
    context.resources.volumes.add('data', `${SCOPE}-data`);
    await engine.createVolume({ name: 'proj1_db' });
    expect(await volumeCheck.observe({ name: 'data' }, context)).toEqual({
      facts: { exists: true, driver: 'local', labels: { kept: 'yes' } },
    });
    expect(await volumeCheck.observe({ name: 'db' }, context)).toMatchObject({ facts: { exists: true } });
    expect(await volumeCheck.observe({ name: 'gone' }, context)).toEqual({ facts: { exists: false } });
  });
});
