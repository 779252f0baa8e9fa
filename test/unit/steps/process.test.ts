// The submission path rule and the TCP probe: real files and sockets, no Docker. (The client
// container of script and compose steps is tested on the real engine: test/integration/abuse-*.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { submissionPath } from '../../../src/steps/paths';
import { probeTcp } from '../../../src/steps/waits/port';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steps-unit-'));
  dirs.push(dir);
  return dir;
}

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

function _pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
