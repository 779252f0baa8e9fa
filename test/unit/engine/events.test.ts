// Following a container's events against a daemon that accepts connections but never answers
// (hung): the follow must give up at an ordinary call's deadline, not wait forever.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine';
import { InfraError } from '../../../src/shared/errors';

const dir = mkdtempSync(path.join(tmpdir(), 'hung-daemon-'));
const socketPath = path.join(dir, 'docker.sock');
const sockets: net.Socket[] = [];
const server = net.createServer((socket) => {
  sockets.push(socket);
});

beforeAll(() => new Promise<void>((resolve) => server.listen(socketPath, resolve)));
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('watchContainer on a hung daemon', () => {
  it('fails at the call deadline instead of holding the wait', async () => {
    const engine = new DockerEngine({ runId: 'agtest', socketPath, callTimeoutMs: 300 });
    const following = new AbortController();
    const watch = engine.watchContainer('abc', { output: true }, () => {}, following.signal);
    await expect(watch).rejects.toBeInstanceOf(InfraError);
    // The connection was made: the daemon was reached, and then said nothing.
    expect(sockets.length).toBeGreaterThan(0);
    following.abort();
  });
});
