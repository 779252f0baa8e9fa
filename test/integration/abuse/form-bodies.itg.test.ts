// Parameters in a form body, on the real engine: the engine reads an
// `application/x-www-form-urlencoded` POST body before the query string, so a script re-tagged
// an image it did not own, imported an image under any name and renamed its container to an
// unscoped name. Through the policy proxy each is refused, and the bystanders (an image tag and a
// container this test made outside the proxy) are unchanged.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import type { PolicyProxy } from '../../../src/proxy/index';
import { onEngine as engine, labelled, tempDir } from '../../support/integration';
import { removeRunObjects, startProxyOnEngine } from '../../support/proxy-on-engine';
import { rawExchange, socketRequest } from '../../support/sockets';

const suffix = randomBytes(4).toString('hex');
const runId = `abuse-form-${suffix}`;
const scope = `${runId}-1`;
/** Made outside the proxy: what a smuggled parameter would change. */
const bystanderImage = `abuse-form-bystander-${suffix}:v1`;
const bystanderContainer = `abuse-form-bystander-${suffix}`;
/** Names a smuggled request would create, unscoped: only there if the test failed. */
const evilImage = `abuse-form-evil-${suffix}`;
const evilContainer = `abuse-form-evil-${suffix}`;

let proxy: PolicyProxy;
let submission: string;
let socketDir: string;

/** A POST with a form body over the proxy's socket, as a script can send with perl or curl. */
function formPost(url: string, form: string, type = 'application/x-www-form-urlencoded'): Promise<string> {
  return rawExchange(
    proxy.socketPath,
    `POST ${url} HTTP/1.1\r\nHost: docker\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(form)}\r\nConnection: close\r\n\r\n${form}`,
    { timeoutMs: 30_000 },
  );
}

async function exists(kind: 'image' | 'container', name: string): Promise<boolean> {
  return engine([kind, 'inspect', name]).then(
    () => true,
    () => false,
  );
}

async function imageState(): Promise<string> {
  return engine(['image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}}', bystanderImage]);
}

async function containerState(): Promise<string> {
  return engine([
    'container',
    'inspect',
    '--format',
    '{{.Id}} {{.Name}} {{.State.Status}}',
    bystanderContainer,
  ]);
}

let imageBefore: string;
let containerBefore: string;

beforeAll(async () => {
  submission = tempDir('abuse-form-submission');
  socketDir = tempDir('abuse-form-socket');
  await engine(['tag', 'busybox', bystanderImage]);
  await engine(['create', '--name', bystanderContainer, 'busybox', 'true']);
  imageBefore = await imageState();
  containerBefore = await containerState();
  proxy = await startProxyOnEngine({ runId, scope, submission, socketDir });
});

afterAll(async () => {
  await proxy?.close();
  await removeRunObjects(runId);
  // This test's own bystanders, and what a smuggled request would have made (then it failed).
  await engine(['rm', '-f', bystanderContainer, evilContainer]).catch(() => undefined);
  for (const image of [bystanderImage, `${evilImage}:x`, `${evilImage}:latest`])
    await engine(['rmi', image]).catch(() => undefined);
  expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
});

describe('parameters in a form body', () => {
  it('refuses a tag by form body: the bystander image keeps its tags, no new name appears', async () => {
    const answer = await formPost(`/v1.41/images/${bystanderImage}/tag`, `repo=${evilImage}&tag=x`);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(answer).toContain('refused by the grader');
    expect(await exists('image', `${evilImage}:x`)).toBe(false);
    expect(await imageState()).toBe(imageBefore);
  });

  it('refuses an import by form body or by query, over a bystander name or a new one', async () => {
    const [repository, tag] = bystanderImage.split(':');
    const byForm = await formPost('/v1.41/images/create', `fromSrc=-&repo=${repository}&tag=${tag}`);
    expect(byForm).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(byForm).toContain('refused by the grader');
    const byQuery = await rawExchange(
      proxy.socketPath,
      `POST /v1.41/images/create?fromSrc=-&repo=${evilImage}&tag=x HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n${'\0'.repeat(1024)}`,
      { timeoutMs: 30_000 },
    );
    expect(byQuery).toMatch(/^HTTP\/1\.1 403 /);
    expect(byQuery).toContain('docker import is not allowed');
    expect(await exists('image', `${evilImage}:x`)).toBe(false);
    expect(await imageState()).toBe(imageBefore);
  });

  it('refuses a rename by form body: the container keeps its scoped name, no unscoped name appears', async () => {
    const created = await socketRequest(
      proxy.socketPath,
      'POST',
      '/v1.41/containers/create?name=mine',
      '{"Image":"busybox","Cmd":["true"]}',
    );
    expect(created.status, created.body).toBe(201);
    const id = String(JSON.parse(created.body).Id);
    const answer = await formPost('/v1.41/containers/mine/rename', `name=${evilContainer}`);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(answer).toContain('refused by the grader');
    expect(await exists('container', evilContainer)).toBe(false);
    expect(await engine(['container', 'inspect', '--format', '{{.Name}}', id])).toBe(`/${scope}-mine`);
    // The bystander renamed by query is not the student's to name: "No such container".
    const byQuery = await socketRequest(
      proxy.socketPath,
      'POST',
      `/v1.41/containers/${bystanderContainer}/rename?name=${evilContainer}`,
    );
    expect(byQuery.status).toBe(404);
    expect(await containerState()).toBe(containerBefore);
  });

  it('refuses a container create by form body or multipart, and nothing is created', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await formPost(
        '/v1.41/containers/create',
        type.startsWith('multipart')
          ? `--x\r\nContent-Disposition: form-data; name="name"\r\n\r\n${evilContainer}\r\n--x--\r\n`
          : `name=${evilContainer}`,
        type,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 415 /);
      expect(answer).toContain('takes no form body');
    }
    expect(await exists('container', evilContainer)).toBe(false);
    expect(await containerState()).toBe(containerBefore);
    expect(proxy.engineErrors).toEqual([]);
  });
});
