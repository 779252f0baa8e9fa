// The process runner of script and compose steps, the submission path rule, and the TCP probe:
// real processes, files and sockets, no Docker.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Resources, type RunContext } from '../../src/run/context';
import { submissionPath } from '../../src/steps/paths';
import { probeTcp } from '../../src/steps/readiness';
import { runProcess, runStudentDocker, studentDockerEnvironment } from '../../src/steps/student-docker';
import { FakeEngine } from './fake-engine';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steps-unit-'));
  dirs.push(dir);
  return dir;
}

function context(submissionDir = tempDir()): RunContext {
  return {
    exerciseId: 'unit/steps',
    engine: new FakeEngine(),
    http: async () => {
      throw new Error('no HTTP in unit tests');
    },
    resources: new Resources(),
    submissionRoot: submissionDir,
    submissionDir,
    scope: 'fake-run-1',
    deadline: Date.now() + 60_000,
    progress: { info: () => {}, output: () => {} },
    now: Date.now,
  };
}

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('runProcess', () => {
  it('interleaves stdout and stderr by line and passes each line on', async () => {
    const lines: string[] = [];
    const result = await runProcess('bash', ['-c', 'echo one; echo two >&2; printf three'], ENV, {
      cwd: os.tmpdir(),
      timeoutMs: 10_000,
      onLine: (line) => lines.push(line),
    });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, truncated: false });
    expect(lines.sort()).toEqual(['one', 'three', 'two']);
    expect(result.output.split('\n').filter(Boolean).sort()).toEqual(['one', 'three', 'two']);
  });

  it('keeps output up to the byte cap only', async () => {
    const result = await runProcess('bash', ['-c', 'for i in $(seq 1 10000); do echo line $i; done'], ENV, {
      cwd: os.tmpdir(),
      timeoutMs: 10_000,
      maxOutputBytes: 100,
    });
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.output)).toBeLessThanOrEqual(100);
    expect(result.output.startsWith('line 1\nline 2\n')).toBe(true);
  });

  it('kills the whole process group at the time limit', async () => {
    const marker = `${700 + Math.floor(Math.random() * 200)}.5`;
    const started = Date.now();
    const result = await runProcess('bash', ['-c', `sleep ${marker} & sleep ${marker}; echo never`], ENV, {
      cwd: os.tmpdir(),
      timeoutMs: 300,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.output).toBe('');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(pgrep(`sleep ${marker}`)).toEqual([]);
  });

  it('ends what a process left in the background when it exits', async () => {
    const marker = `${700 + Math.floor(Math.random() * 200)}.25`;
    const result = await runProcess('bash', ['-c', `sleep ${marker} & echo done`], ENV, {
      cwd: os.tmpdir(),
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({ exitCode: 0, output: 'done\n' });
    expect(pgrep(`sleep ${marker}`)).toEqual([]);
  });

  it('rejects when the program does not exist', async () => {
    await expect(
      runProcess('no-such-program-here', [], ENV, { cwd: os.tmpdir(), timeoutMs: 1000 }),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe('the student Docker environment', () => {
  it('holds only PATH, a fresh HOME, the locale and how to reach the engine', async () => {
    process.env.INPUT_TOKEN = 'secret';
    process.env.GITHUB_TOKEN = 'secret';
    try {
      const ctx = context();
      expect(Object.keys(studentDockerEnvironment(ctx, '/tmp/home')).sort()).toEqual([
        'DOCKER_HOST',
        'HOME',
        'LANG',
        'LC_ALL',
        'PATH',
      ]);
      const result = await runStudentDocker(ctx, 'bash', ['-c', 'echo "$HOME"; env | grep -c TOKEN'], {
        cwd: os.tmpdir(),
        timeoutMs: 10_000,
      });
      const [home, tokens] = result.output.trim().split('\n');
      expect(tokens).toBe('0');
      expect(home).toMatch(/docker-autograder-home-/);
      // The temporary HOME goes when the process is done.
      expect(() => execFileSync('test', ['-d', home ?? ''])).toThrow();
    } finally {
      delete process.env.INPUT_TOKEN;
      delete process.env.GITHUB_TOKEN;
    }
  });
});

describe('submissionPath', () => {
  const root = tempDir();
  mkdirSync(path.join(root, 'html'));
  writeFileSync(path.join(root, 'html', 'index.html'), 'hi');
  symlinkSync('html', path.join(root, 'inside-link'));
  symlinkSync('/etc', path.join(root, 'outside-link'));
  symlinkSync('loop', path.join(root, 'loop'));

  it('accepts paths inside the submission, also through links that stay inside', async () => {
    expect(await submissionPath(root, './html', 'x')).toEqual({ path: path.join(root, 'html') });
    expect(await submissionPath(root, 'inside-link/index.html', 'x')).toEqual({
      path: path.join(root, 'html', 'index.html'),
    });
    expect(await submissionPath(root, '.', 'x')).toEqual({ path: root });
  });

  it('refuses what leaves it, is absolute, is missing or loops', async () => {
    expect(await submissionPath(root, 'outside-link', 'bind mount source')).toEqual({
      failure: {
        message:
          'bind mount source "outside-link" leads outside the submission folder through a symbolic link',
      },
    });
    expect(await submissionPath(root, '../etc', 'x')).toEqual({
      failure: { message: 'x "../etc" is outside the submission folder' },
    });
    expect(await submissionPath(root, '/etc', 'x')).toEqual({
      failure: { message: 'x "/etc" must be a path relative to the submission folder' },
    });
    expect(await submissionPath(root, 'missing', 'x')).toEqual({
      failure: { message: 'x "missing" does not exist in the submission' },
    });
    expect(await submissionPath(root, 'loop', 'x')).toEqual({
      failure: { message: 'x "loop" is a loop of symbolic links' },
    });
  });
});

describe('probeTcp', () => {
  it('tells an open port from one that is closed at once (as docker-proxy does) and a refused one', async () => {
    const open = net.createServer(() => {});
    const closing = net.createServer((socket) => socket.destroy());
    await Promise.all([listen(open), listen(closing)]);
    try {
      expect(await probeTcp('127.0.0.1', port(open), 2000)).toBe('open');
      expect(await probeTcp('127.0.0.1', port(closing), 2000)).toBe(
        'the connection was closed at once (nothing listens on it)',
      );
      const unused = port(closing);
      await close(closing);
      expect(await probeTcp('127.0.0.1', unused, 2000)).toMatch(/connection refused/);
    } finally {
      await close(open);
      if (closing.listening) await close(closing);
    }
  });
});

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}
function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // The probe's sockets must not keep `close` waiting.
    server.unref();
  });
}
function port(server: net.Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return address.port;
}

function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
