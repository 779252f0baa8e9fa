import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildContextError, packBuildContext } from '../../../src/engine/wire/build-context';

let workspace: string;
let context: string;

beforeEach(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'build-context-'));
  context = path.join(workspace, 'context');
  mkdirSync(context);
  write('Dockerfile', 'FROM busybox\n');
});

afterEach(() => {
  rmSync(workspace, { recursive: true, force: true });
});

function write(relative: string, content: string | Buffer): void {
  const file = path.join(context, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** `tar -tv` lines of the packed context, read by GNU tar itself to prove the archive is valid. */
async function listing(dockerfile = 'Dockerfile'): Promise<string[]> {
  const packed = await packBuildContext(context, dockerfile);
  const archive = await collect(packed.stream);
  const env = { ...process.env, TZ: 'UTC' };
  return execFileSync('tar', ['-tv', '--numeric-owner', '--full-time', '-f', '-'], { input: archive, env })
    .toString()
    .trim()
    .split('\n');
}

async function names(dockerfile = 'Dockerfile'): Promise<string[]> {
  return (await listing(dockerfile))
    .map((line) =>
      line
        .split(/\s+/)
        .slice(5)
        .join(' ')
        .replace(/ -> .*$/, '')
        .replace(/\/$/, ''),
    )
    .sort();
}

async function rejection(dockerfile = 'Dockerfile', limits = {}): Promise<BuildContextError> {
  const error = await packBuildContext(context, dockerfile, limits).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BuildContextError);
  return error as BuildContextError;
}

describe('packBuildContext', () => {
  it('packs the files of the context with normalised owners and times', async () => {
    write('app/main.py', 'print("hi")\n');
    const packed = await packBuildContext(context, 'Dockerfile');
    expect(packed.dockerfile).toBe('Dockerfile');
    expect(packed.files).toBe(3);
    const lines = await listing();
    expect(lines.map((line) => line.split(/\s+/).at(-1)).sort()).toEqual([
      'Dockerfile',
      'app',
      'app/main.py',
    ]);
    expect(lines.find((line) => line.endsWith(' app'))).toMatch(/^d/);
    for (const line of lines) {
      expect(line).toMatch(/ 0\/0 /);
      expect(line).toContain('2000-01-01');
    }
  });

  it('honours .dockerignore, with exceptions', async () => {
    write('.dockerignore', '# comment\nnode_modules\n*.env\n**/*.log\n!keep.log\n');
    write('app.py', 'x');
    write('secret.env', 'TOKEN=1');
    write('node_modules/lib/index.js', 'x');
    write('logs/a.log', 'x');
    write('keep.log', 'x');
    expect(await names()).toEqual(['.dockerignore', 'Dockerfile', 'app.py', 'keep.log', 'logs']);
  });

  it('always sends the Dockerfile and .dockerignore, even when .dockerignore excludes them', async () => {
    write('.dockerignore', 'Dockerfile\n.dockerignore\ndocker\n');
    write('docker/Dockerfile.prod', 'FROM busybox\n');
    write('docker/other.txt', 'x');
    expect(await names()).toEqual(['.dockerignore', 'Dockerfile']);
    expect(await names('docker/Dockerfile.prod')).toEqual(['.dockerignore', 'docker/Dockerfile.prod']);
  });

  it('rejects a symlink that points outside the context, naming it', async () => {
    write('outside-target.txt', 'x');
    symlinkSync('../../etc', path.join(context, 'escape'));
    const error = await rejection();
    expect(error.message).toContain('"escape"');
    expect(error.message).toContain('outside the build context');
  });

  it('rejects an absolute symlink out of the context', async () => {
    write('conf/readme', 'x');
    symlinkSync('/etc/passwd', path.join(context, 'conf', 'passwd'));
    expect((await rejection()).message).toContain('"conf/passwd"');
  });

  it('rejects a symlink whose chain of links leaves the context', async () => {
    symlinkSync(workspace, path.join(context, '.hidden-ignored'));
    write('.dockerignore', '.hidden-ignored\n');
    // hop -> .hidden-ignored stays inside lexically, but resolves to the workspace outside.
    symlinkSync('.hidden-ignored', path.join(context, 'hop'));
    expect((await rejection()).message).toContain('"hop"');
  });

  it('ignores an out-of-context symlink that .dockerignore excludes, since it is never sent', async () => {
    symlinkSync('/etc/passwd', path.join(context, 'passwd'));
    write('.dockerignore', 'passwd\n');
    expect(await names()).toEqual(['.dockerignore', 'Dockerfile']);
  });

  it('accepts symlinks that stay inside the context', async () => {
    write('data/real.txt', 'x');
    symlinkSync('data/real.txt', path.join(context, 'link.txt'));
    symlinkSync('data', path.join(context, 'data-link'));
    symlinkSync('missing-but-inside', path.join(context, 'dangling'));
    expect(await names()).toEqual([
      'Dockerfile',
      'dangling',
      'data',
      'data-link',
      'data/real.txt',
      'link.txt',
    ]);
  });

  it('rejects a FIFO before anything is read from it', async () => {
    mkdirSync(path.join(context, 'run'));
    execFileSync('mkfifo', [path.join(context, 'run', 'pipe')]);
    const error = await rejection();
    expect(error.message).toContain('"run/pipe"');
    expect(error.message).toContain('FIFO');
  });

  it('rejects a context over the size cap', async () => {
    write('big.bin', Buffer.alloc(4096));
    const error = await rejection('Dockerfile', { maxBytes: 1024 });
    expect(error.message).toMatch(/larger than 1024 bytes.*"big\.bin"/);
  });

  it('rejects a context over the file-count cap', async () => {
    for (let index = 0; index < 10; index += 1) write(`many/${index}.txt`, 'x');
    expect((await rejection('Dockerfile', { maxFiles: 5 })).message).toContain('more than 5 files');
  });

  it('does not count what .dockerignore excludes against the caps', async () => {
    write('.dockerignore', 'big.bin\n');
    write('big.bin', Buffer.alloc(4096));
    const packed = await packBuildContext(context, 'Dockerfile', { maxBytes: 1024 });
    packed.stream.destroy();
    expect(packed.bytes).toBeLessThan(1024);
  });

  it('rejects a missing Dockerfile', async () => {
    expect((await rejection('Dockerfile.missing')).message).toContain('"Dockerfile.missing" not found');
  });

  it('rejects a Dockerfile outside the context', async () => {
    writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM busybox\n');
    expect((await rejection('../Dockerfile')).message).toContain('outside the build context');
  });

  it('rejects a context directory that does not exist', async () => {
    rmSync(context, { recursive: true });
    expect((await rejection()).message).toContain('does not exist');
  });
});
