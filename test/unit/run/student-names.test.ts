// Checks find what a student's own docker commands created by the names the student gave it:
// the engine gate scopes the engine names to the run and records the student's name and the
// host ports they asked for in labels (contract 2). Pure logic on the FakeEngine.
import { describe, expect, it } from 'vitest';
import { observe } from '../../../src/checks/registry';
import type { ImageDetails } from '../../../src/engine/engine';
import { STUDENT_NAME_LABEL, STUDENT_PORTS_LABEL, scopeLabels } from '../../../src/naming/labels';
import { resourceName } from '../../../src/naming/resource-names';
import type { CheckSpec } from '../../../src/spec/types';
import { contextOn, RecordingEngine, SCOPE } from '../../support/unit-checks';

/** A container as the gate makes it for `docker run --name <name> [-p ...]` in this exercise. */
async function studentContainer(engine: RecordingEngine, name: string, scope = SCOPE, ports?: string) {
  const id = await engine.createContainer({
    name: resourceName(scope, name),
    image: 'nginx',
    labels: {
      ...scopeLabels(scope),
      [STUDENT_NAME_LABEL]: name,
      ...(ports === undefined ? {} : { [STUDENT_PORTS_LABEL]: ports }),
    },
  });
  await engine.startContainer(id);
  return id;
}

function observeCheck(check: CheckSpec, engine: RecordingEngine, http = contextOn(engine).http) {
  const context = contextOn(engine, http);
  return { context, result: observe(check, context) };
}

describe('names the student gave', () => {
  it('finds a container by the student’s name, shows that name and the host ports asked for', async () => {
    const engine = new RecordingEngine();
    const id = await studentContainer(engine, 'my-nginx', SCOPE, '{"80/tcp":[18080]}');
    engine.states.set(id, { publishedPorts: { '80/tcp': 49321 }, portBindings: { '80/tcp': [49321] } });
    const { result } = observeCheck({ name: 'c', container: { name: 'my-nginx' } }, engine);
    const observation = await result;
    expect(observation).toMatchObject({ facts: { exists: true, ports: ['18080->80/tcp'] } });
  });

  it('connects HTTP checks to the real, ephemeral port', async () => {
    const engine = new RecordingEngine();
    const id = await studentContainer(engine, 'web', SCOPE, '{"80/tcp":[18080]}');
    engine.states.set(id, { publishedPorts: { '80/tcp': 49321 }, portBindings: { '80/tcp': [49321] } });
    const ports: number[] = [];
    const { result } = observeCheck(
      { name: 'h', http: { container: 'web', port: 80 } },
      engine,
      async (request) => {
        ports.push(request.port);
        return { status: 200, headers: {}, body: 'ok', truncated: false };
      },
    );
    expect(await result).toMatchObject({ facts: { status: 200 } });
    expect(ports).toEqual([49321]);
  });

  it('never takes a container of another exercise or run for the student’s', async () => {
    const engine = new RecordingEngine();
    await studentContainer(engine, 'my-nginx', 'other-run-7');
    const { result } = observeCheck({ name: 'c', container: { name: 'my-nginx' } }, engine);
    expect(await result).toEqual({ facts: { exists: false } });
  });

  it('ignores a ports label on a container that is not the exercise’s', async () => {
    const engine = new RecordingEngine();
    const id = await engine.createContainer({
      name: 'bystander',
      image: 'nginx',
      labels: { [STUDENT_PORTS_LABEL]: '{"80/tcp":[18080]}' },
    });
    engine.states.set(id, { labels: { [STUDENT_PORTS_LABEL]: '{"80/tcp":[18080]}' } });
    const { result } = observeCheck({ name: 'c', container: { name: 'bystander' } }, engine);
    expect(await result).toMatchObject({ facts: { ports: ['49152->8080/tcp'] } });
  });

  it('finds networks and volumes by the student’s name and shows members and mounts by theirs', async () => {
    const engine = new RecordingEngine();
    const network = resourceName(SCOPE, 'Public-Net');
    await engine.createNetwork({
      name: network,
      labels: { ...scopeLabels(SCOPE), [STUDENT_NAME_LABEL]: 'Public-Net' },
    });
    const volume = resourceName(SCOPE, 'data');
    engine.volumes.set(volume, {
      name: volume,
      driver: 'local',
      mountpoint: '/var/lib/docker/volumes/x',
      labels: {
        ...scopeLabels(SCOPE),
        [STUDENT_NAME_LABEL]: 'data',
        'org.docker-autograder.run': 'fake-run',
      },
    });
    const id = await studentContainer(engine, 'app');
    engine.states.set(id, {
      networks: { [network]: { ipAddress: '172.18.0.2', aliases: [] } },
      mounts: [{ type: 'volume', source: '/x', destination: '/data', name: volume, readOnly: false }],
    });
    const container = await observeCheck({ name: 'c', container: { name: 'app' } }, engine).result;
    expect(container).toMatchObject({
      facts: { networks: ['Public-Net'], mounts: [{ name: 'data', destination: '/data' }] },
    });
    const found = await observeCheck({ name: 'n', network: { name: 'Public-Net' } }, engine).result;
    expect(found).toMatchObject({ facts: { exists: true } });
    const missing = await observeCheck({ name: 'n', network: { name: 'public-net' } }, engine).result;
    expect(missing).toEqual({ facts: { exists: false } });
    expect(await observeCheck({ name: 'v', volume: { name: 'data' } }, engine).result).toMatchObject({
      facts: { exists: true },
    });
  });

  it('finds an image the student built by its name, and shows a container’s image by that name', async () => {
    const engine = new RecordingEngine();
    const image = `${resourceName(SCOPE, 'my-app')}:1.0`;
    engine.images.set(image, {
      ...(engine.images.get('busybox') as ImageDetails),
      cmd: ['python3', 'app.py'],
    });
    const found = await observeCheck({ name: 'i', image: { name: 'my-app:1.0' } }, engine).result;
    expect(found).toMatchObject({ facts: { exists: true, cmd: ['python3', 'app.py'] } });
    const id = await studentContainer(engine, 'app');
    engine.states.set(id, { image });
    const container = await observeCheck({ name: 'c', container: { name: 'app' } }, engine).result;
    expect(container).toMatchObject({ facts: { image: 'my-app:1.0' } });
    const other = await observeCheck({ name: 'i', image: { name: 'my-app:2.0' } }, engine).result;
    expect(other).toEqual({ facts: { exists: false } });
  });
});
