// Where the engine is (src/engine/transport/connection.ts) and which engines may run student scripts
// (src/steps/engine-gate.ts): pure decisions, no engine.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineConnection } from '../../../src/engine/engine';
import { isLoopback, resolveEndpoint } from '../../../src/engine/transport/connection';
import { parseSshHost } from '../../../src/engine/transport/ssh';
import type { RunContext } from '../../../src/run/context';
import { InfraError } from '../../../src/shared/errors';
import { engineUpstream } from '../../../src/steps/engine-gate';
import { FakeEngine } from '../../support/fake-engine';

describe('engine endpoints', () => {
  it('tells loopback addresses from others', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'engine.localhost']) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of ['10.0.0.5', 'engine.example', '::', '128.0.0.1', 'localhost.example']) {
      expect(isLoopback(host), host).toBe(false);
    }
  });

  it('reads ssh://[user@]host[:port], the user defaulting to the current one', () => {
    expect(parseSshHost('ssh://grader@engine.example:2222')).toEqual({
      host: 'engine.example',
      port: 2222,
      username: 'grader',
      display: 'ssh://grader@engine.example:2222',
    });
    expect(parseSshHost('ssh://[::1]')).toMatchObject({
      host: '::1',
      port: 22,
      display: expect.stringMatching(/@\[::1\]$/),
    });
    expect(() => parseSshHost('ssh://engine.example/var/run/docker.sock')).toThrow(InfraError);
    expect(() => parseSshHost('ssh://u:secret@engine.example')).toThrow(InfraError);
  });

  it('knows which endpoints are on this machine, and gives child processes the same DOCKER_HOST', () => {
    const ssh = resolveEndpoint({ runId: 'r', host: 'ssh://u@127.0.0.1:2222' });
    expect(ssh).toMatchObject({ display: 'ssh://u@127.0.0.1:2222', onThisMachine: true });
    expect(ssh.clientEnvironment).toEqual({ DOCKER_HOST: 'ssh://u@127.0.0.1:2222' });
    expect(resolveEndpoint({ runId: 'r', host: 'ssh://u@engine.example' }).onThisMachine).toBe(false);
    expect(resolveEndpoint({ runId: 'r', host: 'tcp://10.0.0.5:2375' }).onThisMachine).toBe(false);
    expect(resolveEndpoint({ runId: 'r', host: 'tcp://localhost:2375' }).onThisMachine).toBe(true);
    expect(resolveEndpoint({ runId: 'r', socketPath: '/run/docker.sock' }).onThisMachine).toBe(true);
  });

  describe('with no host given', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('follows DOCKER_HOST, as the docker CLI does', () => {
      vi.stubEnv('DOCKER_HOST', 'unix:///run/docker26.sock');
      const endpoint = resolveEndpoint({ runId: 'r' });
      expect(endpoint.display).toBe('unix:///run/docker26.sock');
      expect(endpoint.modem.socketPath).toBe('/run/docker26.sock');
      expect(endpoint.clientEnvironment).toEqual({ DOCKER_HOST: 'unix:///run/docker26.sock' });
    });

    it('takes the default socket when DOCKER_HOST is unset or empty, and a given host over DOCKER_HOST', () => {
      vi.stubEnv('DOCKER_HOST', '');
      expect(resolveEndpoint({ runId: 'r' }).display).toBe('unix:///var/run/docker.sock');
      vi.stubEnv('DOCKER_HOST', 'unix:///run/docker26.sock');
      expect(resolveEndpoint({ runId: 'r', host: 'tcp://10.0.0.5:2375' }).display).toBe(
        'tcp://10.0.0.5:2375',
      );
      expect(resolveEndpoint({ runId: 'r', socketPath: '/tmp/x.sock' }).display).toBe('unix:///tmp/x.sock');
    });
  });

  it('refuses other schemes clearly', () => {
    expect(() => resolveEndpoint({ runId: 'r', host: 'npipe:////./pipe/docker' })).toThrow(
      /is not supported: use unix:\/\/\/path, tcp:\/\/host:port .* or ssh:\/\/\[user@\]host\[:port\]/,
    );
  });
});

describe('the gate of script and compose steps', () => {
  function contextOn(connection: EngineConnection): RunContext {
    class ConnectedEngine extends FakeEngine {
      connection(): EngineConnection {
        return connection;
      }
    }
    return { engine: new ConnectedEngine() } as unknown as RunContext;
  }
  const dial = () => Promise.reject(new Error('not dialled in this test'));

  it('reaches an engine on this machine however the grader does', () => {
    const upstream = engineUpstream(
      contextOn({ display: 'ssh://u@127.0.0.1:2222', onThisMachine: true, dial }),
    );
    expect('dial' in upstream).toBe(true);
  });

  it('reaches an engine that cannot dial (a fake of the interface) on its unix socket', () => {
    expect(engineUpstream({ engine: new FakeEngine() } as unknown as RunContext)).toEqual({
      socketPath: '/fake/docker.sock',
    });
  });

  it("is an infrastructure error on an engine elsewhere: bind mounts would name that machine's files", () => {
    expect(() =>
      engineUpstream(contextOn({ display: 'ssh://u@engine.example', onThisMachine: false, dial })),
    ).toThrow(
      new InfraError(
        "script and compose steps need the Docker engine on this machine (a unix socket, or tcp:// or ssh:// to a loopback address), and ssh://u@engine.example is not: the student's bind mounts would name files on the engine's machine, not the submission here",
      ),
    );
  });
});
