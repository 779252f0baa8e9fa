import { describe, expect, it } from 'vitest';
import { CLIENT_LABEL, RUN_LABEL, SCOPE_LABEL } from '../../../src/naming/labels';
import {
  imageVisibility,
  isClientContainer,
  tagOwner,
  visibleContainerList,
  visibleImageList,
} from '../../../src/proxy/visibility';
import {
  isEngineFault,
  isEngineFaultStatus,
  studentFaultMessage,
  studentFaultStatus,
} from '../../../src/run/attribution';
import { BaseImages, namedBaseImages, normaliseImageName, pinBaseImages } from '../../../src/run/base-images';
import { resolveImageRef } from '../../../src/run/resolve';
import { shownContainerImage } from '../../../src/run/shown';
import { clientImage, clientImageMoved } from '../../../src/steps/client-image';
import { EMPTY_IMAGE, FakeEngine, fakeRunContext } from '../../support/fake-engine';

const run = { runId: 'agmine0001abcdef', scope: 'agmine0001abcdef-1' };
const otherScope = 'agother002abcdef-1';

function inspected(labels: Record<string, string> | null, tags: string[]): Record<string, unknown> {
  return { Id: 'sha256:1', RepoTags: tags, Config: { Labels: labels } };
}

describe('imageVisibility: only the run’s own images and base images exist for the student', () => {
  it('shows the run’s own labelled images and hides another run’s, or another exercise’s', () => {
    const own = { [RUN_LABEL]: run.runId, [SCOPE_LABEL]: run.scope };
    expect(imageVisibility(inspected(own, [`${run.scope}-app:latest`]), run)).toBe('own');
    const other = { [RUN_LABEL]: 'agother002abcdef', [SCOPE_LABEL]: otherScope };
    expect(imageVisibility(inspected(other, [`${otherScope}-app:latest`]), run)).toBe('hidden');
    const sibling = { [RUN_LABEL]: run.runId, [SCOPE_LABEL]: `${run.runId}-2` };
    expect(imageVisibility(inspected(sibling, []), run)).toBe('hidden');
  });

  it('hides another run’s unlabelled build image, by its tag or by its id', () => {
    const image = inspected(null, [`docker-autograder/${otherScope}-web:latest`]);
    expect(imageVisibility(image, run, `docker-autograder/${otherScope}-web:latest`)).toBe('hidden');
    expect(imageVisibility(image, run, 'sha256:1')).toBe('hidden');
    expect(imageVisibility(image, run)).toBe('hidden');
    // The grader's build of this run stays readable (as a base: the student may not remove it).
    const mine = inspected(null, [`docker-autograder/${run.scope}-web:latest`]);
    expect(imageVisibility(mine, run, `docker-autograder/${run.scope}-web:latest`)).toBe('base');
  });

  it('hides another run’s tag on a base image, and not the base image by its own name', () => {
    const busybox = inspected(null, ['busybox:latest', `${otherScope}-mybox:latest`]);
    expect(imageVisibility(busybox, run, `${otherScope}-mybox`)).toBe('hidden');
    expect(imageVisibility(busybox, run, 'busybox')).toBe('base');
    expect(imageVisibility(busybox, run, 'sha256:1')).toBe('base');
    // Untagged leftovers of someone's build are no base image.
    expect(imageVisibility(inspected(null, []), run, 'sha256:1')).toBe('hidden');
    expect(imageVisibility('not an image', run)).toBe('hidden');
  });

  it('lists only what is visible, without other runs’ tags', () => {
    const list = [
      { Id: 'a', RepoTags: ['busybox:latest', `${otherScope}-mybox:latest`], Labels: null },
      { Id: 'b', RepoTags: [`docker-autograder/${otherScope}-web:latest`], Labels: {} },
      { Id: 'c', RepoTags: [`${otherScope}-x:1`], Labels: { [RUN_LABEL]: 'agother002abcdef' } },
      {
        Id: 'd',
        RepoTags: [`${run.scope}-x:1`],
        Labels: { [RUN_LABEL]: run.runId, [SCOPE_LABEL]: run.scope },
      },
    ];
    expect(visibleImageList(list, run)).toEqual([
      { Id: 'a', RepoTags: ['busybox:latest'], Labels: null },
      list[3],
    ]);
    expect(visibleImageList({ message: 'x' }, run)).toEqual({ message: 'x' });
  });

  it('knows whose a tag is', () => {
    expect(tagOwner('nginx', run)).toBe('none');
    expect(tagOwner('prom/prometheus:latest', run)).toBe('none');
    expect(tagOwner('docker-autograder/client:1', run)).toBe('none');
    expect(tagOwner(`docker-autograder/client:1-${run.runId}`, run)).toBe('this-run');
    expect(tagOwner('docker-autograder/client:1-agother002abcdef', run)).toBe('other-run');
    expect(tagOwner(`${run.scope}-app`, run)).toBe('this-run');
    expect(tagOwner(`docker.io/library/${otherScope}-app:2`, run)).toBe('other-run');
  });
});

describe('the client container is hidden from the student', () => {
  it('is known by its label and left out of container lists', () => {
    expect(isClientContainer({ [CLIENT_LABEL]: 'true' })).toBe(true);
    expect(isClientContainer({ [CLIENT_LABEL]: '' })).toBe(false);
    const list = [
      { Id: '1', Labels: { [CLIENT_LABEL]: 'true' } },
      { Id: '2', Labels: {} },
    ];
    expect(visibleContainerList(list)).toEqual([{ Id: '2', Labels: {} }]);
  });
});

describe('fault attribution: only a broken connection and a 5xx are the engine’s', () => {
  const systemError = (code: string, syscall: string, where?: string): Error =>
    Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, ...(where ? { path: where } : {}) });

  it('blames the engine for a 5xx and a broken connection', () => {
    expect(isEngineFaultStatus(500)).toBe(true);
    expect(isEngineFaultStatus(503)).toBe(true);
    expect(isEngineFault(Object.assign(new Error('x'), { status: 502 }))).toBe(true);
    expect(isEngineFault(systemError('ECONNREFUSED', 'connect'))).toBe(true);
    expect(isEngineFault(systemError('ECONNRESET', 'read'))).toBe(true);
    expect(isEngineFault(systemError('ENOENT', 'connect'))).toBe(true);
  });

  it('leaves a 4xx, a redirect, a symlink loop and a permission error to the student', () => {
    expect(isEngineFaultStatus(404)).toBe(false);
    expect(isEngineFaultStatus(301)).toBe(false);
    expect(isEngineFault(Object.assign(new Error('x'), { status: 409 }))).toBe(false);
    const loop = systemError('ELOOP', 'realpath', '/sub/loop');
    expect(isEngineFault(loop)).toBe(false);
    expect(studentFaultStatus(loop)).toBe(400);
    expect(studentFaultMessage(loop)).toBe('too many levels of symbolic links: /sub/loop');
    const denied = systemError('EACCES', 'lstat', '/sub/secret');
    expect(isEngineFault(denied)).toBe(false);
    expect(studentFaultStatus(denied)).toBe(403);
    expect(studentFaultMessage(denied)).toBe('permission denied: /sub/secret');
    expect(isEngineFault(systemError('EPERM', 'open'))).toBe(false);
  });
});

describe('base images pinned by id', () => {
  it('names the images an exercise names, not its build steps', () => {
    const names = namedBaseImages({
      steps: [
        { build: { name: 'app' } },
        { run: { name: 'web', image: 'app' } },
        { run: { name: 'db', image: 'redis' } },
      ],
      checks: [
        { name: 'a', image: { name: 'app', basedOn: 'python:3.11-slim' } },
        { name: 'b', file: { image: 'nginx', path: '/x' } },
        { name: 'c', container: { name: 'web' }, expect: { image: 'hello-world' } },
        { name: 'd', container: { name: 'web' }, expect: { image: { matches: '^busybox$' } } },
      ],
    });
    expect(names.sort()).toEqual(['hello-world', 'nginx', 'python:3.11-slim', 'redis']);
    expect(normaliseImageName('docker.io/library/busybox')).toBe('busybox:latest');
    expect(new BaseImages([['busybox', 'sha256:b']]).idOf('busybox:latest')).toBe('sha256:b');
  });

  it('pins what exists and is no grading’s, and resolves a base name to that id', async () => {
    const engine = new FakeEngine();
    engine.images.set('busybox', { ...EMPTY_IMAGE, id: 'sha256:b0' });
    engine.images.set('made', { ...EMPTY_IMAGE, id: 'sha256:m0', labels: { [RUN_LABEL]: 'agx' } });
    const pinned = await pinBaseImages(engine, ['busybox', 'made', 'absent']);
    expect(pinned.size).toBe(1);
    const context = fakeRunContext(engine, '/tmp');
    context.baseImages = pinned;
    // The student's image tagged busybox in the run's scope is not busybox.
    engine.images.set(`${context.scope}-busybox:latest`, { ...EMPTY_IMAGE, id: 'sha256:fake' });
    engine.images.set('busybox', { ...EMPTY_IMAGE, id: 'sha256:moved' });
    expect(await resolveImageRef('busybox', context)).toBe('sha256:b0');
    engine.images.set(`${context.scope}-app:latest`, { ...EMPTY_IMAGE, id: 'sha256:app' });
    expect(await resolveImageRef('app', context)).toBe(`${context.scope}-app:latest`);
  });

  it('shows a container’s image by name only when the name is that image', async () => {
    const engine = new FakeEngine();
    engine.images.set('hello-world', { ...EMPTY_IMAGE, id: 'sha256:hello0000000000' });
    const context = fakeRunContext(engine, '/tmp');
    context.baseImages = await pinBaseImages(engine, ['hello-world']);
    const state = (image: string, imageId: string) =>
      ({ image, imageId }) as Parameters<typeof shownContainerImage>[0];
    expect(await shownContainerImage(state('hello-world', 'sha256:hello0000000000'), context)).toBe(
      'hello-world',
    );
    const scoped = `${context.scope}-hello-world`;
    engine.images.set(`${scoped}:latest`, { ...EMPTY_IMAGE, id: 'sha256:look0000000000' });
    engine.images.set(scoped, { ...EMPTY_IMAGE, id: 'sha256:look0000000000' });
    expect(await shownContainerImage(state(scoped, 'sha256:look0000000000'), context)).toBe(
      "look00000000 (the student's own image tagged hello-world)",
    );
    engine.images.set(`${context.scope}-app`, { ...EMPTY_IMAGE, id: 'sha256:app00000000000' });
    expect(await shownContainerImage(state(`${context.scope}-app`, 'sha256:app00000000000'), context)).toBe(
      'app',
    );
    // The tag moved since the container was created: its id, as `docker ps` shows it.
    expect(await shownContainerImage(state(`${context.scope}-app`, 'sha256:old00000000000'), context)).toBe(
      "old000000000 (the student's own image tagged app)",
    );
  });
});

describe('the client image pinned by id for the run', () => {
  it('creates from the id it had first and reports a moved tag', async () => {
    const engine = new FakeEngine();
    engine.images.set('docker-autograder/client:1', { ...EMPTY_IMAGE, id: 'sha256:c1' });
    const heard: string[] = [];
    expect(await clientImage(engine, (line) => heard.push(line))).toBe('sha256:c1');
    expect(heard).toEqual([]);
    engine.images.set('docker-autograder/client:1', { ...EMPTY_IMAGE, id: 'sha256:evil' });
    expect(await clientImage(engine, (line) => heard.push(line))).toBe('sha256:c1');
    expect(heard).toEqual([clientImageMoved('docker-autograder/client:1', 'sha256:c1', 'sha256:evil')]);
    expect(heard[0]).toContain('now points at evil');
  });
});
