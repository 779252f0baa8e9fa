// DockerEngine's container, network, volume, archive and cleanup operations against the real
// daemon: no mocks. Everything the engine creates carries this file's run id and afterAll removes
// it; what the docker CLI creates here (no labels) is removed by name.

import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerApiError, DockerEngine } from '../../../src/engine/docker-engine';
import type { ContainerRequest } from '../../../src/engine/engine';
import { RUN_LABEL, SCOPE_LABEL } from '../../../src/naming/labels';
import { InfraError } from '../../../src/shared/errors';
import { eventually as eventuallyAt, labelled } from '../../support/integration';

function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return eventuallyAt(what, check, { timeoutMs, pollMs: 100 });
}

const runId = `itg-ops-${Date.now()}`;
const engine = new DockerEngine({ runId });
const BUSYBOX = 'busybox:latest';
const tempDirs: string[] = [];
/** Resources the docker CLI made (unlabelled), removed by name at the end whatever happens. */
const cliResources: Array<{ kind: 'container' | 'network' | 'volume' | 'image'; name: string }> = [];
let dataImage = '';

function unique(name: string): string {
  return `${runId}-${name}`;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'itg-ops-'));
  tempDirs.push(dir);
  return dir;
}

async function run(name: string, cmd: string[], extra: Partial<ContainerRequest> = {}): Promise<string> {
  const id = await engine.createContainer({ name: unique(name), image: BUSYBOX, cmd, ...extra });
  await engine.startContainer(id);
  return id;
}

async function sh(
  id: string,
  script: string,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return engine.exec(id, { cmd: ['sh', '-c', script], timeoutMs: 10_000, maxOutputBytes: 64 * 1024 });
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

function exists(kind: 'container' | 'network' | 'volume', name: string): boolean {
  try {
    execFileSync('docker', [kind, 'inspect', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const context = tempDir();
  writeFileSync(
    path.join(context, 'Dockerfile'),
    [
      `FROM ${BUSYBOX}`,
      'RUN mkdir -p /data/sub && printf "hello\\n" > /data/file.txt && chmod 640 /data/file.txt \\',
      ' && chown 1000:1001 /data/file.txt && ln -s /data/file.txt /data/link && chmod 750 /data/sub \\',
      ' && head -c 1048576 /dev/zero > /data/big',
      '',
    ].join('\n'),
  );
  const result = await engine.build({
    contextDir: context,
    dockerfile: 'Dockerfile',
    tag: `${runId}-data:test`,
    timeoutMs: 60_000,
  });
  if (!result.ok) throw new Error(`build failed: ${result.error}\n${result.log}`);
  dataImage = `${runId}-data:test`;
});

afterAll(async () => {
  for (const { kind, name } of cliResources.reverse()) {
    try {
      const command =
        kind === 'container'
          ? ['rm', '-f', '-v', name]
          : kind === 'image'
            ? ['rmi', '-f', name]
            : [kind, 'rm', name];
      execFileSync('docker', command, {
        stdio: 'ignore',
      });
    } catch {
      // Already removed by the test itself.
    }
  }
  const report = await engine.removeResources();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  expect(report.failures).toEqual([]);
  expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
});

describe('creating containers with mounts, networks, restart policy and healthcheck', () => {
  it('passes them all to the daemon, and inspection reports them', async () => {
    const hostDir = tempDir();
    writeFileSync(path.join(hostDir, 'config.txt'), 'from the host\n');
    const front = await engine.createNetwork({ name: unique('front') });
    const back = await engine.createNetwork({ name: unique('back') });
    const volume = unique('data');
    const id = await run('full', ['sleep', '300'], {
      hostname: 'web-host',
      labels: { 'course.example': 'yes', [RUN_LABEL]: 'someone-else' },
      mounts: [
        { type: 'volume', source: volume, target: '/data' },
        { type: 'bind', source: hostDir, target: '/config', readOnly: true },
      ],
      networks: [
        { name: unique('front'), aliases: ['web', 'www'] },
        { name: unique('back'), aliases: ['api'] },
      ],
      restartPolicy: { name: 'unless-stopped' },
      healthcheck: {
        test: ['CMD-SHELL', 'test -f /data/ready'],
        intervalMs: 200,
        timeoutMs: 1_000,
        retries: 3,
      },
    });
    expect(front).toMatch(/^[0-9a-f]{64}$/);
    expect(back).toMatch(/^[0-9a-f]{64}$/);

    const state = await engine.inspectContainer(id);
    expect(state.hostname).toBe('web-host');
    expect(state.restartPolicy).toBe('unless-stopped');
    expect(state.restartCount).toBe(0);
    // A caller's label cannot take the container out of the run.
    expect(state.labels).toMatchObject({ 'course.example': 'yes', [RUN_LABEL]: runId });
    expect(state.mounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'volume', name: volume, destination: '/data', readOnly: false }),
        expect.objectContaining({ type: 'bind', source: hostDir, destination: '/config', readOnly: true }),
      ]),
    );
    expect(Object.keys(state.networks).sort()).toEqual([unique('back'), unique('front')]);
    expect(state.networks[unique('front')]?.aliases).toEqual(expect.arrayContaining(['web', 'www']));
    expect(state.networks[unique('back')]?.aliases).toEqual(expect.arrayContaining(['api']));
    expect(state.networks[unique('front')]?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // The volume the mount created carries the run's labels, so cleanup finds it.
    expect((await engine.inspectVolume(volume))?.labels[RUN_LABEL]).toBe(runId);
    // The bind is there, read-only.
    expect((await sh(id, 'cat /config/config.txt')).stdout).toBe('from the host\n');
    expect((await sh(id, 'touch /config/new')).exitCode).not.toBe(0);

    expect(state.health).toBe('starting');
    await sh(id, 'touch /data/ready');
    const health = await eventually('the container to become healthy', async () => {
      const current = await engine.inspectContainer(id);
      return current.health === 'healthy' ? current.health : undefined;
    });
    expect(health).toBe('healthy');
  });

  it('reports port bindings with their host ports', async () => {
    const id = await run('ports', ['sleep', '300'], { ports: [8080] });
    const state = await engine.inspectContainer(id);
    const hostPort = state.publishedPorts['8080/tcp'];
    expect(hostPort).toBeGreaterThan(0);
    expect(state.portBindings['8080/tcp']).toEqual([hostPort]);
    expect(state.user).toBe('');
  });

  it('shares another container network namespace with networkMode container:<id>', async () => {
    const target = await run('netns-target', ['sleep', '300']);
    const address = (await engine.inspectContainer(target)).networks.bridge?.ipAddress;
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const probe = await run('netns-probe', ['sleep', '300'], { networkMode: `container:${target}` });
    expect((await sh(probe, 'ip -4 addr')).stdout).toContain(`inet ${address}/`);
    await expect(
      engine.createContainer({
        name: unique('netns-ports'),
        image: BUSYBOX,
        networkMode: `container:${target}`,
        ports: [80],
      }),
    ).rejects.toThrow(/cannot be combined with published ports/);
  });

  it('restarts a failing container under an on-failure policy and counts the restarts', async () => {
    const id = await run('restarts', ['sh', '-c', 'exit 3'], {
      restartPolicy: { name: 'on-failure', maximumRetryCount: 1 },
    });
    const state = await eventually('one restart, then the end', async () => {
      const current = await engine.inspectContainer(id);
      return current.restartCount === 1 && !current.running ? current : undefined;
    });
    expect(state).toMatchObject({ restartPolicy: 'on-failure', exitCode: 3 });
  });

  it('refuses to bind the Docker socket, the host root or system folders, even through a symlink', async () => {
    const links = tempDir();
    symlinkSync('/var/run/docker.sock', path.join(links, 'innocent'));
    symlinkSync('/', path.join(links, 'root'));
    const sources = [
      '/var/run/docker.sock',
      '/run/docker.sock',
      '/',
      '/proc/1',
      '/var/run',
      '/sys',
      '/dev/sda',
    ];
    for (const source of [...sources, path.join(links, 'innocent'), path.join(links, 'root')]) {
      const attempt = engine.createContainer({
        name: unique('bind-refused'),
        image: BUSYBOX,
        mounts: [{ type: 'bind', source, target: '/host' }],
      });
      await expect(attempt, source).rejects.toThrow(/bind mount of .* refused/);
      await attempt.catch((error: unknown) => expect(error).not.toBeInstanceOf(InfraError));
    }
    await expect(
      engine.createContainer({ name: unique('host-net'), image: BUSYBOX, networks: [{ name: 'host' }] }),
    ).rejects.toThrow(/host network/);
    expect(await engine.findContainer(unique('bind-refused'))).toBeUndefined();
  });
});

describe('container lifecycle', () => {
  it('stops, kills, restarts and removes, and accepts what is already done', async () => {
    const id = await run('lifecycle', ['sleep', '300']);
    await engine.stopContainer(id, 5);
    expect((await engine.inspectContainer(id)).running).toBe(false);
    await engine.stopContainer(id, 5); // already stopped: fine
    await engine.startContainer(id);
    expect((await engine.inspectContainer(id)).running).toBe(true);
    await engine.killContainer(id);
    const killed = await engine.inspectContainer(id);
    expect(killed).toMatchObject({ running: false, exitCode: 137 });
    await engine.killContainer(id); // not running: fine
    await engine.restartContainer(id, 1);
    expect((await engine.inspectContainer(id)).running).toBe(true);
    await engine.removeContainer(id);
    expect(await engine.findContainer(id)).toBeUndefined();
    await engine.removeContainer(id); // already gone: fine
  });

  it('finds a container by name or id, and not by a mere prefix of an id', async () => {
    const id = await run('findme', ['sleep', '300']);
    expect((await engine.findContainer(unique('findme')))?.id).toBe(id);
    expect((await engine.findContainer(`/${unique('findme')}`))?.id).toBe(id);
    expect((await engine.findContainer(id))?.name).toBe(unique('findme'));
    expect((await engine.findContainer(id.slice(0, 12)))?.id).toBe(id);
    expect(await engine.findContainer(id.slice(0, 3))).toBeUndefined();
    expect(await engine.findContainer(unique('nobody'))).toBeUndefined();
    expect(await engine.findContainer('../../version')).toBeUndefined();
  });

  it('lists the containers carrying every label given, running or not', async () => {
    const a = await run('list-a', ['sleep', '300'], { labels: { [SCOPE_LABEL]: `${runId}-list` } });
    const b = await engine.createContainer({
      name: unique('list-b'),
      image: BUSYBOX,
      labels: { [SCOPE_LABEL]: `${runId}-list` },
    });
    await run('list-c', ['sleep', '300'], { labels: { [SCOPE_LABEL]: `${runId}-other` } });
    const listed = await engine.listContainers({ [RUN_LABEL]: runId, [SCOPE_LABEL]: `${runId}-list` });
    expect(listed.map((item) => item.id).sort()).toEqual([a, b].sort());
    const created = listed.find((item) => item.id === b);
    expect(created).toMatchObject({ name: unique('list-b'), image: BUSYBOX, state: 'created' });
    expect(created?.labels[RUN_LABEL]).toBe(runId);
  });

  it('lists the processes of a running container', async () => {
    const id = await run('top', ['sh', '-c', 'sleep 300 & sleep 301']);
    const processes = await eventually('both sleeps', async () => {
      const list = await engine.processes(id);
      return list.some((cmd) => cmd.includes('sleep 300')) && list.some((cmd) => cmd.includes('sleep 301'))
        ? list
        : undefined;
    });
    expect(processes.length).toBeGreaterThanOrEqual(2);
  });

  it('waits for the exit code, and gives up with null at the timeout', async () => {
    const quick = await run('exits', ['sh', '-c', 'sleep 0.3; exit 7']);
    expect(await engine.waitForExit(quick, 20_000)).toBe(7);
    const slow = await run('sleeps', ['sleep', '300']);
    const startedAt = Date.now();
    expect(await engine.waitForExit(slow, 500)).toBeNull();
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});

describe('networks and volumes', () => {
  it('creates a labelled network, lists its members, connects containers with aliases', async () => {
    const name = unique('net');
    const id = await engine.createNetwork({
      name,
      internal: true,
      labels: { 'course.example': 'yes', [RUN_LABEL]: 'someone-else' },
    });
    const member = await run('net-member', ['sleep', '300'], { networks: [{ name, aliases: ['db'] }] });
    const other = await run('net-other', ['sleep', '300']);
    await engine.connectNetwork(name, other, ['cache']);

    const network = await engine.inspectNetwork(name);
    expect(network).toMatchObject({ id, name, driver: 'bridge', internal: true });
    expect(network?.labels).toMatchObject({ 'course.example': 'yes', [RUN_LABEL]: runId });
    expect(network?.containers).toEqual([unique('net-member'), unique('net-other')].sort());
    expect((await engine.inspectNetwork(id))?.name).toBe(name);
    expect((await engine.inspectContainer(other)).networks[name]?.aliases).toEqual(
      expect.arrayContaining(['cache']),
    );
    // The aliases resolve on the network.
    const lookup = await sh(member, 'nslookup cache');
    expect(lookup.stdout).toContain((await engine.inspectContainer(other)).networks[name]?.ipAddress);

    expect(await engine.inspectNetwork(unique('no-such-network'))).toBeUndefined();
    await expect(engine.createNetwork({ name })).rejects.toBeInstanceOf(DockerApiError);
  });

  it('creates a labelled volume whose data outlives the container that wrote it', async () => {
    const name = unique('vol');
    expect(await engine.createVolume({ name, labels: { [RUN_LABEL]: 'someone-else' } })).toBe(name);
    const volume = await engine.inspectVolume(name);
    expect(volume).toMatchObject({ name, driver: 'local', labels: { [RUN_LABEL]: runId } });
    expect(volume?.mountpoint).toContain(name);

    const mount = { type: 'volume' as const, source: name, target: '/store' };
    const writer = await run('vol-writer', ['sh', '-c', 'echo kept > /store/value'], { mounts: [mount] });
    expect(await engine.waitForExit(writer, 20_000)).toBe(0);
    await engine.removeContainer(writer);
    const reader = await run('vol-reader', ['sleep', '300'], { mounts: [mount] });
    expect((await sh(reader, 'cat /store/value')).stdout).toBe('kept\n');

    expect(await engine.inspectVolume(unique('no-such-volume'))).toBeUndefined();
  });
});

describe('reading and copying paths', () => {
  let unstarted = '';
  beforeAll(async () => {
    unstarted = await engine.createContainer({ name: unique('unstarted'), image: dataImage });
  });

  it('reads a file with its content, mode and owner from a container never started', async () => {
    const entry = await engine.readPath(unstarted, '/data/file.txt', 1024);
    expect(entry).toEqual({
      type: 'file',
      mode: 0o640,
      uid: 1000,
      gid: 1001,
      size: 6,
      content: Buffer.from('hello\n'),
      truncated: false,
    });
  });

  it('reads a directory and a symlink as what they are', async () => {
    expect(await engine.readPath(unstarted, '/data/sub', 1024)).toMatchObject({
      type: 'directory',
      mode: 0o750,
      uid: 0,
      gid: 0,
    });
    const directory = await engine.readPath(unstarted, '/data', 1024);
    expect(directory).toMatchObject({ type: 'directory', mode: 0o755 });
    expect(directory?.content).toBeUndefined();
    expect(await engine.readPath(unstarted, '/data/link', 1024)).toMatchObject({
      type: 'symlink',
      linkTarget: '/data/file.txt',
    });
  });

  it('caps the content it keeps, and says undefined for a missing path', async () => {
    const big = await engine.readPath(unstarted, '/data/big', 10);
    expect(big).toMatchObject({ type: 'file', size: 1_048_576, truncated: true });
    expect(big?.content).toEqual(Buffer.alloc(10));
    expect(await engine.readPath(unstarted, '/data/missing', 10)).toBeUndefined();
    await expect(engine.readPath(unique('no-such-container'), '/etc', 10)).rejects.toBeInstanceOf(
      DockerApiError,
    );
  });

  it('reads a file of a running container', async () => {
    const id = await run('read-running', ['sh', '-c', 'echo live > /tmp/state; sleep 300']);
    const entry = await eventually('the file', () => engine.readPath(id, '/tmp/state', 100));
    expect(entry.content?.toString()).toBe('live\n');
  });

  it('copies a host file and a host folder into a container', async () => {
    const host = tempDir();
    writeFileSync(path.join(host, 'script.sh'), 'echo copied\n');
    chmodSync(path.join(host, 'script.sh'), 0o755);
    mkdirSync(path.join(host, 'site', 'css'), { recursive: true });
    writeFileSync(path.join(host, 'site', 'index.html'), '<h1>hi</h1>\n');
    writeFileSync(path.join(host, 'site', 'css', 'main.css'), 'body{}\n');
    symlinkSync('index.html', path.join(host, 'site', 'home.html'));
    const id = await run('copy-into', ['sleep', '300']);

    await engine.copyInto(id, path.join(host, 'script.sh'), '/tmp');
    expect(await engine.readPath(id, '/tmp/script.sh', 100)).toMatchObject({
      type: 'file',
      mode: 0o755,
      uid: 0,
      gid: 0,
      content: Buffer.from('echo copied\n'),
    });
    await engine.copyInto(id, path.join(host, 'site'), '/tmp');
    expect((await sh(id, 'cat /tmp/site/index.html /tmp/site/css/main.css /tmp/site/home.html')).stdout).toBe(
      '<h1>hi</h1>\nbody{}\n<h1>hi</h1>\n',
    );
    expect(await engine.readPath(id, '/tmp/site/home.html', 10)).toMatchObject({
      type: 'symlink',
      linkTarget: 'index.html',
    });

    await expect(engine.copyInto(id, path.join(host, 'script.sh'), '/no/such/folder')).rejects.toBeInstanceOf(
      DockerApiError,
    );
  });

  it('refuses to copy a folder with a symlink leaving it', async () => {
    const host = tempDir();
    mkdirSync(path.join(host, 'folder'));
    symlinkSync('/etc/passwd', path.join(host, 'folder', 'passwd'));
    const id = await run('copy-refused', ['sleep', '300']);
    await expect(engine.copyInto(id, path.join(host, 'folder'), '/tmp')).rejects.toThrow(/points outside/);
    expect(await engine.readPath(id, '/tmp/folder', 10)).toBeUndefined();
    await expect(engine.copyInto(id, path.join(host, 'missing'), '/tmp')).rejects.toThrow(/cannot read/);
  });

  it('copies a path from one container into another', async () => {
    const id = await run('copy-target', ['sleep', '300']);
    await engine.copyBetween(unstarted, '/data/sub', id, '/tmp');
    expect(await engine.readPath(id, '/tmp/sub', 10)).toMatchObject({ type: 'directory', mode: 0o750 });
    await engine.copyBetween(unstarted, '/data/file.txt', id, '/tmp');
    expect(await engine.readPath(id, '/tmp/file.txt', 100)).toMatchObject({
      content: Buffer.from('hello\n'),
      uid: 1000,
    });
    await expect(engine.copyBetween(unstarted, '/data/missing', id, '/tmp')).rejects.toBeInstanceOf(
      DockerApiError,
    );
  });
});

describe('images, label-only cleanup and the client environment', () => {
  it('does nothing to an image that is already there', async () => {
    const before = docker('image', 'inspect', '--format', '{{.Id}}', BUSYBOX);
    const startedAt = Date.now();
    await engine.ensureImage(BUSYBOX, 30_000);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(docker('image', 'inspect', '--format', '{{.Id}}', BUSYBOX)).toBe(before);
  });

  it('says clearly that a missing image could not be pulled (no registry here)', async () => {
    const ref = `docker-autograder-missing/${runId}:1`;
    const attempt = engine.ensureImage(ref, 20_000);
    await expect(attempt).rejects.toBeInstanceOf(InfraError);
    await expect(attempt).rejects.toThrow(`image ${ref} is not on the engine and could not be pulled: `);
  });

  it('cleans up by label only: what the docker CLI created without labels stays', async () => {
    const network = unique('cli-net');
    const volume = unique('cli-vol');
    const container = unique('cli-ctr');
    cliResources.push(
      { kind: 'network', name: network },
      { kind: 'volume', name: volume },
      { kind: 'container', name: container },
    );
    docker('network', 'create', network);
    docker('volume', 'create', volume);
    docker(
      'run',
      '-d',
      '--name',
      container,
      '--network',
      network,
      '-v',
      `${volume}:/v`,
      BUSYBOX,
      'sleep',
      '300',
    );
    const scope = 'label-only';
    const labelledContainer = await engine.createContainer({
      name: unique('labelled'),
      image: BUSYBOX,
      cmd: ['true'],
      labels: { [SCOPE_LABEL]: scope },
    });
    const labelledNetwork = unique('labelled-net');
    await engine.createNetwork({ name: labelledNetwork, labels: { [SCOPE_LABEL]: scope } });

    const report = await engine.removeResources({ scope });

    expect(report).toMatchObject({ containers: 1, networks: 1, failures: [] });
    expect(await engine.findContainer(labelledContainer)).toBeUndefined();
    expect(await engine.inspectNetwork(labelledNetwork)).toBeUndefined();
    expect(exists('container', container)).toBe(true);
    expect(exists('network', network)).toBe(true);
    expect(exists('volume', volume)).toBe(true);
  });

  it('gives a child docker CLI the environment to reach this engine', async () => {
    const id = await run('cli-visible', ['sleep', '300']);
    const env = engine.clientEnvironment();
    expect(env.DOCKER_HOST).toMatch(/^(unix|tcp):\/\//);
    const { stdout } = await promisify(execFile)(
      'docker',
      ['ps', '-q', '--no-trunc', '--filter', `label=${RUN_LABEL}=${runId}`],
      { env: { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    expect(stdout.split('\n')).toContain(id);

    expect(new DockerEngine({ runId, socketPath: '/tmp/other.sock' }).clientEnvironment()).toEqual({
      DOCKER_HOST: 'unix:///tmp/other.sock',
    });
    expect(new DockerEngine({ runId, host: 'tcp://127.0.0.1:2375' }).clientEnvironment()).toMatchObject({
      DOCKER_HOST: 'tcp://127.0.0.1:2375',
    });
  });
});
