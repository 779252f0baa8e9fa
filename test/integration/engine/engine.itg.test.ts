// DockerEngine against the real daemon: no mocks. Everything created here carries this file's
// run id, and afterAll removes it through the engine itself.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine';
import type { BuildRequest, BuildResult } from '../../../src/engine/engine';
import { RUN_LABEL, SCOPE_LABEL } from '../../../src/naming/labels';
import { InfraError } from '../../../src/shared/errors';
import { eventually as eventuallyAt } from '../../support/integration';
import { words } from '../../support/proxy-on-engine';

function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  return eventuallyAt(what, check, { timeoutMs, pollMs: 50 });
}

const runId = `itg-engine-${Date.now()}`;
const engine = new DockerEngine({ runId });
const tempDirs: string[] = [];
let busyboxImage = '';

function tag(name: string): string {
  return `${runId}-${name}:test`;
}

function containerName(name: string): string {
  return `${runId}-${name}`;
}

function makeContext(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'itg-engine-'));
  tempDirs.push(dir);
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), content);
  }
  return dir;
}

/**
 * engine.build of ./Dockerfile in a context (a folder, or the files to make one of), tagged
 * tag(name), with a minute to finish unless the request says otherwise.
 */
function build(
  name: string,
  context: string | Record<string, string>,
  request: Partial<BuildRequest> = {},
): Promise<BuildResult> {
  return engine.build({
    contextDir: typeof context === 'string' ? context : makeContext(context),
    dockerfile: 'Dockerfile',
    tag: tag(name),
    timeoutMs: 60_000,
    ...request,
  });
}

/** A build that must fail: its error and log. */
async function buildFailure(
  name: string,
  context: string | Record<string, string>,
  request: Partial<BuildRequest> = {},
): Promise<{ error: string; log: string }> {
  const result = await build(name, context, request);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error(`the build of ${name} succeeded`);
  return result;
}

async function buildOk(
  name: string,
  dockerfile: string,
  files: Record<string, string> = {},
): Promise<string> {
  const result = await build(name, { Dockerfile: dockerfile, ...files });
  if (!result.ok) throw new Error(`build of ${name} failed: ${result.error}\n${result.log}`);
  return tag(name);
}

async function runContainer(name: string, image: string, cmd?: string[], ports?: number[]): Promise<string> {
  const id = await engine.createContainer({ name: containerName(name), image, cmd, ports });
  await engine.startContainer(id);
  return id;
}

/** node:http with an enforced per-request timeout (Node 20's fetch can hang on docker-proxy). */
function httpGet(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

function dockerCli(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' });
}

function labelledIds(kind: 'container' | 'network' | 'volume' | 'image'): string[] {
  const list =
    kind === 'container' ? ['ps', '-a', '-q'] : kind === 'image' ? ['images', '-q'] : [kind, 'ls', '-q'];
  return dockerCli(...list, '--filter', `label=${RUN_LABEL}=${runId}`)
    .split('\n')
    .filter((line) => line.trim() !== '');
}

beforeAll(async () => {
  busyboxImage = await buildOk('busybox', 'FROM busybox:latest\n');
});

afterAll(async () => {
  await engine.removeResources();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('DockerEngine on the real daemon', () => {
  it('reports the engine version', async () => {
    const info = await engine.info();
    expect(info.serverVersion).not.toBe('');
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    expect(info.os).toBe('linux');
  });

  describe('build', () => {
    it('builds an image, streams its output and labels it with the run', async () => {
      const lines: string[] = [];
      const result = await build(
        'ok',
        {
          Dockerfile:
            'FROM busybox:latest\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo build-marker\n',
          'hello.txt': 'hello from the context\n',
        },
        { labels: { 'org.example.extra': 'yes' }, onLine: (line) => lines.push(line) },
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(result.log).toContain('build-marker');
      expect(result.log).toContain('hello from the context');
      expect(lines.some((line) => line.startsWith('Step 1/'))).toBe(true);
      expect(lines.every((line) => !line.includes('\n'))).toBe(true);
      const image = await engine.inspectImage(tag('ok'));
      expect(image?.id).toBe(result.imageId);
      expect(image?.labels[RUN_LABEL]).toBe(runId);
      expect(image?.labels['org.example.extra']).toBe('yes');
    });

    it('passes build args and target', async () => {
      const result = await build(
        'args',
        {
          Dockerfile: [
            'FROM busybox:latest AS first',
            'ARG GREETING=unset',
            'RUN echo "greeting=$GREETING"',
            'FROM busybox:latest AS second',
            'RUN echo second-stage-ran',
            '',
          ].join('\n'),
        },
        { buildArgs: { GREETING: 'bonjour' }, target: 'first' },
      );
      expect(result.ok).toBe(true);
      expect(result.log).toContain('greeting=bonjour');
      expect(result.log).not.toContain('second-stage-ran');
    });

    it('reports a failing RUN as a failed build with the error and the output', async () => {
      const failure = await buildFailure('failing', {
        Dockerfile: 'FROM busybox:latest\nRUN echo about-to-fail && exit 7\n',
      });
      expect(failure.error).toContain('returned a non-zero code: 7');
      expect(failure.log).toContain('about-to-fail');
      expect(await engine.inspectImage(tag('failing'))).toBeUndefined();
    });

    it('removes the layers a failed build committed, and only those', async () => {
      const victim = await buildOk('victim', 'FROM busybox:latest\nLABEL victim=yes\n');
      const victimId = (await engine.inspectImage(victim))?.id.replace(/^sha256:/, '').slice(0, 12) ?? '';
      const failure = await buildFailure(
        'partial',
        {
          Dockerfile: [
            'FROM busybox:latest',
            'ARG VICTIM',
            'RUN echo one > /one',
            // A forged progress line naming someone else's image must not get it deleted.
            'RUN echo " ---> $VICTIM"',
            'RUN exit 1',
            '',
          ].join('\n'),
        },
        { buildArgs: { VICTIM: victimId } },
      );
      const committed = [...failure.log.matchAll(/^ ---> ([0-9a-f]{12})$/gm)].map((match) => match[1] ?? '');
      const base = (await engine.inspectImage('busybox:latest'))?.id.replace(/^sha256:/, '').slice(0, 12);
      const ours = committed.filter((id) => id !== base && id !== victimId);
      expect(ours.length).toBeGreaterThanOrEqual(2);
      for (const id of ours) expect(await engine.inspectImage(id), id).toBeUndefined();
      expect(await engine.inspectImage(victim)).toBeDefined();
      expect(await engine.inspectImage('busybox:latest')).toBeDefined();
    });

    it('keeps the result of a multi-stage build and drops the other stages', async () => {
      const lines: string[] = [];
      const result = await build(
        'multistage',
        {
          Dockerfile: [
            'FROM busybox:latest AS builder',
            'RUN echo artefact > /artefact',
            'FROM busybox:latest',
            'COPY --from=builder /artefact /artefact',
            'CMD ["cat", "/artefact"]',
            '',
          ].join('\n'),
        },
        { onLine: (line) => lines.push(line) },
      );
      expect(result.ok).toBe(true);
      const builderStage = lines[lines.findIndex((line) => line.includes('echo artefact')) + 3];
      expect(builderStage).toMatch(/^ ---> [0-9a-f]{12}$/);
      expect(await engine.inspectImage(builderStage?.slice(6) ?? '')).toBeUndefined();
      expect(await engine.inspectImage(tag('multistage'))).toBeDefined();
    });

    it('keeps only the tail of a flood of build output', async () => {
      const result = await build('flood', {
        Dockerfile:
          "FROM busybox:latest\nRUN head -c 1000000 /dev/zero | tr '\\0' x | fold -w 100 && echo last-line\n",
      });
      expect(result.ok).toBe(true);
      expect(result.log).toMatch(/^\[build log truncated/);
      expect(result.log.length).toBeLessThan(300 * 1024);
      expect(result.log).toContain('last-line');
    });

    it('reports a Dockerfile syntax error as a failed build', async () => {
      const failure = await buildFailure('syntax', { Dockerfile: 'FORM busybox:latest\n' });
      expect(failure.error.toLowerCase()).toContain('unknown instruction');
      expect(failure.error).not.toContain('\n');
    });

    it('reports a build context problem as a failed build, not an exception', async () => {
      const contextDir = makeContext({ Dockerfile: 'FROM busybox:latest\n' });
      symlinkSync('/etc', path.join(contextDir, 'host-etc'));
      const failure = await buildFailure('badctx', contextDir);
      expect(failure.error).toContain('"host-etc"');
    });

    it('stops a build at its timeout, promptly, and the daemon drops the build container', async () => {
      const marker = `${runId}-sleeper`;
      const started = Date.now();
      const failure = await buildFailure(
        'sleeper',
        { Dockerfile: `FROM busybox:latest\nRUN echo ${marker} >/dev/null && sleep 60\n` },
        { timeoutMs: 2_000 },
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(failure.error).toBe('build timed out after 2s');
      expect(failure.log).toContain('Running in');
      await eventually('the build container to go away', async () => {
        const commands = dockerCli('ps', '-a', '--no-trunc', '--format', '{{.Command}}');
        return commands.includes(marker) ? undefined : true;
      });
    });
  });

  describe('containers', () => {
    it('publishes a port on 127.0.0.1 that answers HTTP', async () => {
      const image = await buildOk(
        'web',
        'FROM busybox:latest\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
        { 'index.html': 'hello from busybox httpd\n' },
      );
      const id = await runContainer('web', image, undefined, [8080]);
      const state = await engine.inspectContainer(id);
      expect(state.running).toBe(true);
      expect(state.status).toBe('running');
      expect(state.name).toBe(containerName('web'));
      expect(state.image).toBe(image);
      expect(state.startedAt).toBeDefined();
      expect(state.finishedAt).toBeUndefined();
      const port = state.publishedPorts['8080/tcp'];
      expect(port).toBeGreaterThan(0);
      const response = await eventually('httpd to answer', async () => httpGet(port ?? 0));
      expect(response.status).toBe(200);
      expect(response.body).toBe('hello from busybox httpd\n');
    });

    it('applies the security defaults', async () => {
      const id = await engine.createContainer({
        name: containerName('secure'),
        image: busyboxImage,
        cmd: ['sleep', '3600'],
        ports: [9000],
        labels: { [RUN_LABEL]: 'someone-else', 'org.example.extra': 'yes' },
      });
      const [raw] = JSON.parse(dockerCli('inspect', id)) as Array<{
        HostConfig: Record<string, unknown>;
        Config: { Labels: Record<string, string>; ExposedPorts: Record<string, unknown> };
      }>;
      const host = raw?.HostConfig ?? {};
      expect(host.Privileged).toBe(false);
      expect(host.CapDrop).toEqual(['ALL']);
      // Pinned here as docs/security.md lists them, not read from KEPT_CAPABILITIES: a change to
      // that list must fail this test until the security model says so too.
      expect(host.CapAdd).toEqual(
        words('CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID NET_BIND_SERVICE'),
      );
      expect(host.SecurityOpt).toEqual(['no-new-privileges']);
      expect(host.PidsLimit).toBe(256);
      expect(host.Memory).toBe(512 * 1024 * 1024);
      expect(host.MemorySwap).toBe(512 * 1024 * 1024);
      expect(host.NanoCpus).toBe(1_000_000_000);
      expect(host.Ulimits).toEqual([
        { Name: 'core', Soft: 0, Hard: 0 },
        { Name: 'nofile', Soft: 1024, Hard: 1024 },
      ]);
      expect(host.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } });
      expect(host.Init).toBe(true);
      expect(host.AutoRemove).toBe(false);
      expect(host.Binds ?? []).toEqual([]);
      expect(host.Mounts ?? []).toEqual([]);
      expect(host.PortBindings).toEqual({ '9000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
      expect(raw?.Config.ExposedPorts).toEqual({ '9000/tcp': {} });
      // The run label cannot be overridden by the caller; other labels pass through.
      expect(raw?.Config.Labels[RUN_LABEL]).toBe(runId);
      expect(raw?.Config.Labels['org.example.extra']).toBe('yes');
    });

    it('reports the exit code of a container that exited', async () => {
      const id = await runContainer('exits', busyboxImage, ['sh', '-c', 'exit 5']);
      const state = await eventually('the container to exit', async () => {
        const current = await engine.inspectContainer(id);
        return current.status === 'exited' ? current : undefined;
      });
      expect(state.running).toBe(false);
      expect(state.exitCode).toBe(5);
      expect(state.oomKilled).toBe(false);
      expect(state.finishedAt).toBeDefined();
    });

    it('reports a container the daemon refuses as an ordinary error, not an InfraError', async () => {
      const error = await engine
        .createContainer({ name: containerName('noimage'), image: `${runId}-missing:nope` })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(InfraError);
      expect(String(error)).toContain('No such image');
      expect(String(error)).not.toContain('\n');
    });

    it('runs the command under an init process: a missing binary is exit code 127', async () => {
      const id = await runContainer('nocmd', busyboxImage, ['/no/such/binary']);
      const state = await eventually('the container to exit', async () => {
        const current = await engine.inspectContainer(id);
        return current.status === 'exited' ? current : undefined;
      });
      expect(state.exitCode).toBe(127);
      expect((await engine.logs(id, { maxBytes: 4096 })).stderr).toContain('/no/such/binary');
    });
  });

  describe('exec', () => {
    let id = '';
    beforeAll(async () => {
      id = await runContainer('exec', busyboxImage, ['sleep', '3600']);
    });

    it('separates stdout from stderr and returns the exit code', async () => {
      const result = await engine.exec(id, {
        cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
        timeoutMs: 10_000,
        maxOutputBytes: 1024,
      });
      expect(result).toEqual({
        exitCode: 3,
        stdout: 'out\n',
        stderr: 'err\n',
        truncated: false,
        timedOut: false,
      });
    });

    it('passes env, workdir and user', async () => {
      const result = await engine.exec(id, {
        cmd: ['sh', '-c', 'echo "$GREETING $(pwd) $(id -u)"'],
        env: { GREETING: 'hi' },
        workdir: '/tmp',
        user: '1234',
        timeoutMs: 10_000,
        maxOutputBytes: 1024,
      });
      expect(result.stdout).toBe('hi /tmp 1234\n');
      expect(result.exitCode).toBe(0);
    });

    it('caps the output it keeps', async () => {
      const cap = 1024 * 1024;
      const result = await engine.exec(id, {
        cmd: ['sh', '-c', "head -c 5000000 /dev/zero | tr '\\0' a; echo done >&2"],
        timeoutMs: 30_000,
        maxOutputBytes: cap,
      });
      expect(result.truncated).toBe(true);
      expect(result.exitCode).toBe(0);
      expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(cap);
      expect(result.stdout.length).toBe(cap);
      expect(result.stdout).toMatch(/^a+$/);
      expect(result.stderr).toBe('done\n');
    });

    it('gives up at the timeout and says so', async () => {
      const started = Date.now();
      const result = await engine.exec(id, {
        cmd: ['sh', '-c', 'echo before-sleep; sleep 30'],
        timeoutMs: 1_000,
        maxOutputBytes: 1024,
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.timedOut).toBe(true);
      expect(result.exitCode).toBeNull();
      expect(result.stdout).toBe('before-sleep\n');
    });

    it('reports a command that cannot run as output with a non-zero exit code', async () => {
      const result = await engine.exec(id, {
        cmd: ['/no/such/binary'],
        timeoutMs: 10_000,
        maxOutputBytes: 1024,
      });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).not.toBe(0);
    });
  });

  describe('logs', () => {
    it('returns stdout and stderr separately', async () => {
      const id = await runContainer('logger', busyboxImage, [
        'sh',
        '-c',
        'echo to-stdout; echo to-stderr >&2; sleep 3600',
      ]);
      const logs = await eventually('both log lines', async () => {
        const current = await engine.logs(id, { maxBytes: 1024 });
        return current.stdout !== '' && current.stderr !== '' ? current : undefined;
      });
      expect(logs).toEqual({ stdout: 'to-stdout\n', stderr: 'to-stderr\n', truncated: false });
    });

    it('caps the logs it keeps', async () => {
      const id = await runContainer('flooder', busyboxImage, [
        'sh',
        '-c',
        "head -c 200000 /dev/zero | tr '\\0' b",
      ]);
      await eventually('the flood to end', async () =>
        (await engine.inspectContainer(id)).status === 'exited' ? true : undefined,
      );
      const logs = await engine.logs(id, { maxBytes: 1000 });
      expect(logs.truncated).toBe(true);
      expect(logs.stdout).toBe('b'.repeat(1000));
      expect(logs.stderr).toBe('');
    });
  });

  describe('inspectImage', () => {
    it('reports the configuration of an image', async () => {
      const image = await buildOk(
        'configured',
        [
          'FROM busybox:latest',
          'ENV APP_MODE=production',
          'WORKDIR /srv/app',
          'RUN echo layer > /srv/app/file',
          'USER 1234:1234',
          'EXPOSE 8080 443/tcp 53/udp',
          'ENTRYPOINT ["/bin/sh", "-c"]',
          'CMD ["echo hello"]',
          '',
        ].join('\n'),
      );
      const details = await engine.inspectImage(image);
      expect(details).toMatchObject({
        user: '1234:1234',
        workdir: '/srv/app',
        entrypoint: ['/bin/sh', '-c'],
        cmd: ['echo hello'],
        exposedPorts: ['443/tcp', '53/udp', '8080/tcp'],
      });
      expect(details?.tags).toContain(image);
      expect(details?.env).toContain('APP_MODE=production');
      expect(details?.layers).toBeGreaterThanOrEqual(2);
      expect(details?.sizeBytes).toBeGreaterThan(0);
    });

    it('returns empty lists for an image without CMD, ENTRYPOINT or EXPOSE', async () => {
      const details = await engine.inspectImage(busyboxImage);
      expect(details?.entrypoint).toEqual([]);
      expect(details?.exposedPorts).toEqual([]);
    });

    it('returns undefined for an image that does not exist, or cannot', async () => {
      expect(await engine.inspectImage(`${runId}-missing:nope`)).toBeUndefined();
      expect(await engine.inspectImage('UPPER/Case')).toBeUndefined();
      expect(await engine.inspectImage('busybox?all=1')).toBeUndefined();
    });
  });

  describe('an engine that cannot be reached', () => {
    it('throws a one-line InfraError when the socket does not exist', async () => {
      const missing = new DockerEngine({ runId, socketPath: '/nonexistent/docker.sock' });
      const error = await missing.info().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InfraError);
      const message = (error as InfraError).message;
      expect(message).toContain('unix:///nonexistent/docker.sock');
      expect(message).toContain('ENOENT');
      expect(message).toContain('Is dockerd running?');
      expect(message).not.toContain('\n');
      await expect(missing.removeResources()).rejects.toBeInstanceOf(InfraError);
      await expect(missing.inspectImage('busybox:latest')).rejects.toBeInstanceOf(InfraError);
    });

    it('throws an InfraError when nothing listens on the tcp port', async () => {
      const refused = new DockerEngine({ runId, host: 'tcp://127.0.0.1:1' });
      const error = await refused.info().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InfraError);
      expect(String((error as InfraError).message)).toContain('tcp://127.0.0.1:1');
    });

    it('throws an InfraError at the deadline when the daemon never answers', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'itg-engine-hang-'));
      tempDirs.push(dir);
      const socketPath = path.join(dir, 'hanging.sock');
      const sockets: net.Socket[] = [];
      const server = net.createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
      try {
        const hanging = new DockerEngine({ runId, socketPath, callTimeoutMs: 300 });
        const started = Date.now();
        const error = await hanging.info().catch((caught: unknown) => caught);
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(error).toBeInstanceOf(InfraError);
        expect((error as InfraError).message).toContain('did not complete "version" within 0.3s');
        const build = await hanging
          .build({
            contextDir: makeContext({ Dockerfile: 'FROM scratch\n' }),
            dockerfile: 'Dockerfile',
            tag: tag('hang'),
            timeoutMs: 500,
          })
          .catch((caught: unknown) => caught);
        // A build's time limit is the student's only while the engine answers: here it is an error.
        expect(build).toBeInstanceOf(InfraError);
        expect(build).toMatchObject({ fault: 'timeout' });
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('removeResources', () => {
    it('removes only the given scope when asked', async () => {
      const id = await engine.createContainer({
        name: containerName('scoped'),
        image: busyboxImage,
        cmd: ['sleep', '3600'],
        labels: { [SCOPE_LABEL]: 'exercise-1' },
      });
      const other = await engine.removeResources({ scope: 'exercise-2' });
      expect(other).toEqual({ containers: 0, networks: 0, volumes: 0, images: 0, failures: [] });
      const mine = await engine.removeResources({ scope: 'exercise-1' });
      expect(mine.containers).toBe(1);
      expect(mine.failures).toEqual([]);
      expect(dockerCli('ps', '-a', '-q', '--filter', `id=${id}`).trim()).toBe('');
    });

    it('reports what it could not remove instead of throwing', async () => {
      const network = `${runId}-busy`;
      const intruder = `${runId}-intruder`;
      dockerCli(
        'network',
        'create',
        '--label',
        `${RUN_LABEL}=${runId}`,
        '--label',
        `${SCOPE_LABEL}=busy`,
        network,
      );
      // A container without the run's labels keeps the network in use.
      dockerCli('run', '-d', '--name', intruder, '--network', network, 'busybox:latest', 'sleep', '3600');
      try {
        const report = await engine.removeResources({ scope: 'busy' });
        expect(report.networks).toBe(0);
        expect(report.failures).toHaveLength(1);
        expect(report.failures[0]).toContain(network);
        expect(report.failures[0]).not.toContain('\n');
      } finally {
        dockerCli('rm', '-f', intruder);
        dockerCli('network', 'rm', network);
      }
    });

    it('leaves nothing labelled with the run behind', async () => {
      const label = `${RUN_LABEL}=${runId}`;
      dockerCli('network', 'create', '--label', label, `${runId}-net`);
      dockerCli('volume', 'create', '--label', label, `${runId}-vol`);
      await runContainer('cleanup', busyboxImage, ['sleep', '3600']);
      expect(labelledIds('container').length).toBeGreaterThan(0);
      expect(labelledIds('image').length).toBeGreaterThan(0);

      const report = await engine.removeResources();
      expect(report.failures).toEqual([]);
      expect(report.containers).toBeGreaterThan(0);
      expect(report.networks).toBe(1);
      expect(report.volumes).toBe(1);
      expect(report.images).toBeGreaterThan(0);
      for (const kind of ['container', 'network', 'volume', 'image'] as const) {
        expect(labelledIds(kind), kind).toEqual([]);
      }
      expect(await engine.removeResources()).toEqual({
        containers: 0,
        networks: 0,
        volumes: 0,
        images: 0,
        failures: [],
      });
    });
  });
});
