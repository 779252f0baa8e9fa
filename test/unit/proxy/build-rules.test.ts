import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import {
  buildQueryRefusal,
  ContextRefusal,
  dockerfileEntryName,
  heldBuildQuery,
  holdBuild,
  registryCallRefusal,
} from '../../../src/proxy/build-rules';

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const images: Record<string, Record<string, unknown>> = {
  'busybox:latest': { RepoTags: ['busybox:latest'], Config: { Labels: null } },
  'theirs:1': { RepoTags: ['theirs:1'], Config: { Labels: { [RUN_LABEL]: 'another-run' } } },
};

const options = {
  runId: 'run-a',
  scope: 'run-a-1',
  imageDetails: async (reference: string) => images[reference],
  engineInfo: async () => undefined,
};

async function refusalOf(
  body: Buffer,
  query = new URLSearchParams(),
  maxContextBytes?: number,
): Promise<string> {
  try {
    const held = await holdBuild(Readable.from([body]), query, { ...options, maxContextBytes });
    await held.release();
  } catch (error) {
    if (error instanceof ContextRefusal) return error.message;
    throw error;
  }
  return 'not refused';
}

describe('a build through the proxy', () => {
  it('is refused for ADD from a URL, with the Dockerfile line, read from the tar', async () => {
    const body = await tarOf({
      'app.py': 'print(1)\n',
      Dockerfile: 'FROM busybox\nADD http://127.0.0.1:1/s /s\n',
    });
    expect(await refusalOf(body)).toMatch(
      /^Dockerfile line 2 \(ADD http:\/\/127\.0\.0\.1:1\/s \/s\): ADD from a URL/,
    );
  });

  it('reads the Dockerfile the query names, and a gzip-compressed context', async () => {
    const body = gzipSync(await tarOf({ 'sub/Build.df': 'FROM theirs:1\n', Dockerfile: 'FROM busybox\n' }));
    expect(await refusalOf(body, new URLSearchParams('dockerfile=./sub/Build.df'))).toMatch(
      /^sub\/Build\.df line 1 \(FROM theirs:1\): .*another grading/,
    );
  });

  it('is sent as it was read, without a cgroup where the engine allows none', async () => {
    const body = await tarOf({ Dockerfile: 'FROM busybox:latest\nRUN true\n' });
    const held = await holdBuild(
      Readable.from([body]),
      new URLSearchParams('t=x&memory=9999999999'),
      options,
    );
    const chunks: Buffer[] = [];
    for await (const chunk of held.upload()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    expect(held.query.get('memory')).toBe(String(512 * 1024 * 1024));
    expect(held.query.get('networkmode')).toBe('default');
    expect(held.query.has('cgroupparent')).toBe(false);
    expect(held.query.get('t')).toBe('x');
    await held.release();
  });

  it('is refused without a Dockerfile, with a Dockerfile that is not a file, or past the size bound', async () => {
    expect(await refusalOf(await tarOf({ 'a.txt': 'a' }))).toMatch(/no Dockerfile in the build context/);
    expect(
      await refusalOf(await tarOf({ Dockerfile: 'FROM busybox\n', big: 'x'.repeat(4096) }), undefined, 1024),
    ).toMatch(/larger than/);
  });

  it('names the Dockerfile as /build does', () => {
    expect(dockerfileEntryName(new URLSearchParams())).toBe('Dockerfile');
    expect(dockerfileEntryName(new URLSearchParams('dockerfile=./a/../b/Dockerfile'))).toBe('b/Dockerfile');
  });

  it('may use the default network only', () => {
    for (const mode of ['', 'default', 'bridge', 'none'])
      expect(buildQueryRefusal(new URLSearchParams(`networkmode=${mode}`))).toBeUndefined();
    for (const mode of ['host', 'container:abc', 'my-net'])
      expect(buildQueryRefusal(new URLSearchParams(`networkmode=${mode}`))).toMatch(/is not allowed/);
    expect(heldBuildQuery(new URLSearchParams('networkmode=bridge'), '/g').get('cgroupparent')).toBe('/g');
  });

  it('refuses registry calls to the runner’s network, whatever names them', async () => {
    const resolve = async (): Promise<string[]> => ['10.0.0.5'];
    expect(await registryCallRefusal({ kind: 'reference', reference: '127.0.0.1:5000/a' }, resolve)).toMatch(
      /loopback/,
    );
    expect(await registryCallRefusal({ kind: 'server', address: 'http://localhost:5000/' }, resolve)).toMatch(
      /localhost/,
    );
    expect(await registryCallRefusal({ kind: 'reference', reference: 'reg.example.com/a' }, resolve)).toMatch(
      /resolves to 10\.0\.0\.5/,
    );
    expect(await registryCallRefusal({ kind: 'reference', reference: 'busybox' }, resolve)).toBeUndefined();
  });
});
