// Which engine answers, and an engine without the classic builder: the identification from real
// /version answers (captured from Docker 20.10, Docker 26.1 and Podman 4.3.1, test/fixtures/
// engine-version), and the real DockerEngine against a stand-in daemon on a unix socket that
// refuses the classic builder (no real Docker engine can be configured without it yet:
// docs/engines.md).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine';
import { classicBuilderRefused, familiarReference, identifyEngine } from '../../../src/engine/engine-kind';
import { BUILD_LIMITS, buildLimitParameters } from '../../../src/engine/rules/build-profile';
import { InfraError } from '../../../src/shared/errors';

const FIXTURES = path.join(__dirname, '../../fixtures', 'engine-version');
const versionAnswer = (name: string): unknown =>
  JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));

describe('identifyEngine', () => {
  it('tells Podman by its "Podman Engine" component, and names it with its own release', () => {
    expect(identifyEngine(versionAnswer('podman-4.3.1'))).toEqual({
      product: 'podman',
      display: 'Podman Engine 4.3.1',
    });
  });

  it('takes both Docker engines for Docker, named as the grader always named them', () => {
    expect(identifyEngine(versionAnswer('docker-20.10'))).toEqual({
      product: 'docker',
      display: 'Docker engine 20.10.24+dfsg1',
    });
    expect(identifyEngine(versionAnswer('docker-26.1'))).toEqual({
      product: 'docker',
      display: 'Docker engine 26.1.5+dfsg1',
    });
  });

  it('takes an answer without components (or no answer) for Docker', () => {
    expect(identifyEngine({ Version: '19.03.15', ApiVersion: '1.40' }).product).toBe('docker');
    expect(identifyEngine(undefined)).toEqual({ product: 'docker', display: 'Docker engine unknown' });
  });
});

describe('familiarReference', () => {
  it("names Podman's docker.io references as Docker does, and leaves Docker's and other registries' alone", () => {
    expect(familiarReference('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(familiarReference('docker.io/docker-autograder/run-1-app:latest')).toBe(
      'docker-autograder/run-1-app:latest',
    );
    const leftAlone = [
      'docker-autograder/run-1-app:latest',
      'busybox:latest',
      'localhost/python:3.11-slim',
      'ghcr.io/docker.io/x:1',
    ];
    for (const reference of leftAlone) expect(familiarReference(reference)).toBe(reference);
  });
});

describe('classicBuilderRefused', () => {
  it("reads Docker's answer to a builder version it lacks, and plain statements of a removed legacy builder", () => {
    // Docker 20.10 and 26 answer `version=3` with `invalid version "3"`: this is the same answer for 1.
    expect(classicBuilderRefused('invalid version "1"')).toBe(true);
    expect(classicBuilderRefused('builder version 1 is not supported')).toBe(true);
    expect(classicBuilderRefused('the legacy builder has been removed; use BuildKit')).toBe(true);
    expect(classicBuilderRefused('classic builder is disabled on this daemon')).toBe(true);
  });

  it("never reads a Dockerfile's own errors, or another version's refusal, as one", () => {
    expect(classicBuilderRefused('dockerfile parse error line 2: unknown instruction: FOO')).toBe(false);
    expect(classicBuilderRefused('pull access denied for nosuch, repository does not exist')).toBe(false);
    expect(classicBuilderRefused('invalid version "3"')).toBe(false);
    expect(classicBuilderRefused('Dockerfile version 1 of the app: RUN exit 1 returned 1')).toBe(false);
  });
});

describe('buildLimitParameters', () => {
  it("sends the ulimits in Docker's form by default and in Podman's for Podman", () => {
    const docker = JSON.parse(buildLimitParameters(BUILD_LIMITS).ulimits ?? '');
    expect(docker).toEqual(BUILD_LIMITS.ulimits);
    const podman = JSON.parse(buildLimitParameters(BUILD_LIMITS, undefined, 'podman').ulimits ?? '');
    expect(podman).toEqual(BUILD_LIMITS.ulimits.map((limit) => `${limit.Name}=${limit.Soft}:${limit.Hard}`));
  });
});

/**
 * A stand-in daemon: answers what the grader asks before a build as Docker 26 does, and /build
 * with `status` and `message`.
 */
function standInDaemon(build: { status: number; message: string }): {
  socket: string;
  server: http.Server;
  /** The routes asked, in order. */
  asked: string[];
} {
  const asked: string[] = [];
  const socket = path.join(mkdtempSync(path.join(tmpdir(), 'engine-kind-')), 'docker.sock');
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://daemon');
    const route = url.pathname.replace(/^\/v[\d.]+/, '');
    asked.push(route);
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    request.resume();
    if (route === '/version') return json(200, versionAnswer('docker-26.1'));
    if (route === '/info') return json(200, { NCPU: 2, CgroupDriver: 'systemd', CgroupVersion: '2' });
    if (route === '/_ping') return json(200, 'OK');
    if (route.startsWith('/images/')) return json(404, { message: 'No such image' });
    if (route === '/build') {
      // The refusal comes once the context is uploaded, as the daemon's does.
      request.on('end', () => json(build.status, { message: build.message }));
      return;
    }
    return json(404, { message: `page not found: ${route}` });
  });
  server.listen(socket);
  return { socket, server, asked };
}

describe('an engine that no longer offers the classic builder', () => {
  const servers: http.Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  function context(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'engine-kind-context-'));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox:latest\nRUN true\n');
    return dir;
  }

  for (const status of [400, 500]) {
    it(`stops the grader's build as the engine's fault, in one line naming the builder (HTTP ${status})`, async () => {
      const daemon = standInDaemon({ status, message: 'invalid version "1"' });
      servers.push(daemon.server);
      const engine = new DockerEngine({ runId: 'kindtest', socketPath: daemon.socket });
      const outcome = await engine
        .build({ contextDir: context(), dockerfile: 'Dockerfile', tag: 'kindtest-app', timeoutMs: 10_000 })
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
      expect('error' in outcome && outcome.error).toBeInstanceOf(InfraError);
      const message = 'error' in outcome ? (outcome.error as Error).message : '';
      expect(message).toBe(
        `the Docker engine at unix://${daemon.socket} no longer offers the classic builder (POST /build, version 1) that the grader's builds use: invalid version "1"`,
      );
      expect(message).not.toContain('\n');
    });
  }

  it("reads which engine it is once: the build's engine product comes from the answer info() read", async () => {
    const daemon = standInDaemon({ status: 400, message: 'invalid version "1"' });
    servers.push(daemon.server);
    const engine = new DockerEngine({ runId: 'kindtest', socketPath: daemon.socket });
    const info = await engine.info();
    engine.close();
    expect(info.identity?.product).toBe('docker');
    const again = new DockerEngine({ runId: 'kindtest', socketPath: daemon.socket });
    await again.info();
    await again
      .build({ contextDir: context(), dockerfile: 'Dockerfile', tag: 'kindtest-app', timeoutMs: 10_000 })
      .catch(() => undefined);
    expect(daemon.asked.filter((route) => route === '/build')).toHaveLength(1);
    expect(daemon.asked.filter((route) => route === '/version')).toHaveLength(2);
  });

  it("leaves a Dockerfile the daemon refuses as the student's failed build", async () => {
    const daemon = standInDaemon({
      status: 400,
      message: 'dockerfile parse error line 2: unknown instruction: FOO',
    });
    servers.push(daemon.server);
    const engine = new DockerEngine({ runId: 'kindtest', socketPath: daemon.socket });
    const result = await engine.build({
      contextDir: context(),
      dockerfile: 'Dockerfile',
      tag: 'kindtest-app',
      timeoutMs: 10_000,
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain('dockerfile parse error line 2: unknown instruction: FOO');
  });
});
