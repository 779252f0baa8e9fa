import { describe, expect, it } from 'vitest';
import { fileCheck } from '../../../src/checks/kinds/file';
import { imageCheck } from '../../../src/checks/kinds/image';
import { SCOPE_LABEL } from '../../../src/naming/labels';
import { EMPTY_IMAGE } from '../../support/fake-engine';
import { contextOn, RecordingEngine, SCOPE } from '../../support/unit-checks';

describe('image check', () => {
  function engineWithImages(): RecordingEngine {
    const engine = new RecordingEngine();
    engine.images.set('base:1', { ...EMPTY_IMAGE, layerDigests: ['sha256:a', 'sha256:b'], layers: 2 });
    engine.images.set('other:1', { ...EMPTY_IMAGE, layerDigests: ['sha256:x'], layers: 1 });
    engine.images.set('docker-autograder/app:latest', {
      ...EMPTY_IMAGE,
      user: 'app',
      workdir: '/app',
      cmd: ['python3', 'app.py'],
      labels: {
        maintainer: 'me@example.com',
        'org.docker-autograder.run': 'r1',
        'org.docker-autograder.standin': 'true',
      },
      healthcheck: ['CMD-SHELL', 'true'],
      layerDigests: ['sha256:a', 'sha256:b', 'sha256:c'],
      layers: 3,
      sizeBytes: 123_456,
    });
    return engine;
  }

  it("observes a build step's image, without the grader's labels, and its base image", async () => {
    const engine = engineWithImages();
    const context = contextOn(engine);
    context.resources.images.add('app', 'docker-autograder/app:latest');
    const observation = await imageCheck.observe({ name: 'app', basedOn: 'base:1' }, context);
    expect(observation).toEqual({
      facts: {
        exists: true,
        user: 'app',
        workdir: '/app',
        cmd: ['python3', 'app.py'],
        entrypoint: [],
        exposedPorts: [],
        env: [],
        labels: { maintainer: 'me@example.com' },
        healthcheck: ['CMD-SHELL', 'true'],
        layers: 3,
        size: 123_456,
        basedOn: true,
      },
    });
    expect(await imageCheck.observe({ name: 'app', basedOn: 'other:1' }, context)).toMatchObject({
      facts: { basedOn: false },
    });
    expect(await imageCheck.observe({ name: 'app' }, context)).toMatchObject({
      facts: { basedOn: undefined },
    });
  });

  it('observes the working directory as a path: WORKDIR /app/ is /app, none stays empty', async () => {
    const engine = new RecordingEngine();
    const workdirOf = async (workdir: string) => {
      engine.images.set('wd:1', { ...EMPTY_IMAGE, workdir });
      const observation = await imageCheck.observe({ name: 'wd:1' }, contextOn(engine));
      return 'facts' in observation ? observation.facts.workdir : undefined;
    };
    expect(await workdirOf('/app/')).toBe('/app');
    expect(await workdirOf('/app//src/./')).toBe('/app/src');
    expect(await workdirOf('/')).toBe('/');
    expect(await workdirOf('')).toBe('');
  });

  it('is not based on an image with more layers than itself', async () => {
    const engine = engineWithImages();
    const context = contextOn(engine);
    expect(
      await imageCheck.observe({ name: 'base:1', basedOn: 'docker-autograder/app:latest' }, context),
    ).toMatchObject({ facts: { basedOn: false } });
  });

  it('observes a missing image as exists: false, and a missing base image as a failure', async () => {
    const context = contextOn(engineWithImages());
    expect(await imageCheck.observe({ name: 'nope:1' }, context)).toEqual({ facts: { exists: false } });
    expect(await imageCheck.observe({ name: 'base:1', basedOn: 'gone:2' }, context)).toEqual({
      failure: { message: 'the base image "gone:2" does not exist, so "base:1" cannot be compared with it' },
    });
  });
});

describe('file check', () => {
  const text = (value: string) => Buffer.from(value, 'utf8');

  it('observes a file of a container: mode as octal text, owner, size, content', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    const id = await engine.runStep(context, 'web');
    engine.paths.set(`${id}:/app/app.py`, {
      type: 'file',
      mode: 0o4755,
      uid: 0,
      gid: 10,
      size: 5,
      content: text('print'),
    });
    expect(await fileCheck.observe({ container: 'web', path: '/app/app.py' }, context)).toEqual({
      facts: {
        exists: true,
        type: 'file',
        mode: '4755',
        uid: 0,
        gid: 10,
        size: 5,
        content: 'print',
        target: undefined,
      },
    });
    engine.paths.set('/etc', { type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 });
    expect(await fileCheck.observe({ container: 'web', path: '/etc' }, context)).toMatchObject({
      facts: { type: 'directory', mode: '0755', content: undefined },
    });
  });

  it('follows symlinks (relative and absolute) for what they lead to, and keeps a dangling one as it is', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    await engine.runStep(context, 'web');
    engine.paths.set('/app/current', {
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      linkTarget: 'releases/v2',
    });
    engine.paths.set('/app/releases/v2', {
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      linkTarget: '/srv/v2.txt',
    });
    engine.paths.set('/srv/v2.txt', {
      type: 'file',
      mode: 0o600,
      uid: 1,
      gid: 1,
      size: 2,
      content: text('v2'),
    });
    engine.paths.set('/app/broken', {
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      linkTarget: '../nowhere',
    });
    expect(await fileCheck.observe({ container: 'web', path: '/app/current' }, context)).toEqual({
      facts: {
        exists: true,
        type: 'symlink',
        mode: '0600',
        uid: 1,
        gid: 1,
        size: 2,
        content: 'v2',
        target: 'releases/v2',
      },
    });
    expect(await fileCheck.observe({ container: 'web', path: '/app/broken' }, context)).toEqual({
      facts: {
        exists: true,
        type: 'symlink',
        mode: '0777',
        uid: 0,
        gid: 0,
        size: 0,
        content: undefined,
        target: '../nowhere',
      },
    });
  });

  it('observes a missing path as exists: false, and a missing container as a failure', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    await engine.runStep(context, 'web');
    expect(await fileCheck.observe({ container: 'web', path: '/nope' }, context)).toEqual({
      facts: { exists: false },
    });
    expect(await fileCheck.observe({ container: 'ghost', path: '/etc' }, context)).toEqual({
      failure: { message: 'there is no container "ghost"' },
    });
  });

  it('reads an image through a never-started container of the exercise, removed afterwards', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    context.resources.images.add('app', 'busybox');
    engine.paths.set('/etc/motd', {
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 2,
      content: text('hi'),
    });
    expect(await fileCheck.observe({ image: 'app', path: '/etc/motd' }, context)).toMatchObject({
      facts: { exists: true, content: 'hi', mode: '0644' },
    });
    const created = engine.calls.filter((call) => call.startsWith('create '));
    expect(created).toHaveLength(1);
    expect(created[0]).toMatch(new RegExp(`^create ${SCOPE}-file-[0-9a-f]{8} from busybox$`));
    expect(engine.calls.some((call) => call.startsWith('start '))).toBe(false);
    expect(engine.containers.size).toBe(0);
    const removed = engine.calls.find((call) => call.startsWith('remove '));
    expect(removed).toBeDefined();
  });

  it('labels the helper with the exercise scope, and says which image is missing', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    let labels: Record<string, string> | undefined;
    const create = engine.createContainer.bind(engine);
    engine.createContainer = async (request) => {
      labels = request.labels;
      return create(request);
    };
    await fileCheck.observe({ image: 'busybox', path: '/x' }, context);
    expect(labels).toEqual({ [SCOPE_LABEL]: SCOPE });
    expect(await fileCheck.observe({ image: 'nope:1', path: '/x' }, context)).toEqual({
      failure: { message: 'there is no image "nope:1"' },
    });
  });
});
