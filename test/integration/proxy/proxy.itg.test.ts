// The policy proxy on the real engine, driven by the real docker CLIs (v28 and Debian's 20.10)
// and docker-compose v1, as a student's script would drive it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import { type PolicyProxy, startPolicyProxy } from '../../../src/proxy/index';
import {
  DOCKER_CLIS,
  dockerThroughProxy,
  ENGINE_SOCKET,
  onEngine as engine,
  engineServesContainerConfig,
  labelled,
  type Run,
  tempDir,
} from '../../support/integration';
import { removeRunObjects, runObjects, startProxyOnEngine, words } from '../../support/proxy-on-engine';

const execFileAsync = promisify(execFile);
const CLIS = DOCKER_CLIS;
const NEW_CLI = CLIS[0] ?? 'docker';
const runId = `proxy-itg-${randomBytes(4).toString('hex')}`;
const scope = `${runId}-1`;
const bystander = `proxy-bystander-${randomBytes(4).toString('hex')}`;

let proxy: PolicyProxy;
let submission: string;
let socketDir: string;

/** The docker CLI through the proxy, as the student's script runs it. */
function docker(
  args: string[],
  options: { cli?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  return dockerThroughProxy(proxy.socketPath, socketDir, args, {
    cli: options.cli,
    cwd: options.cwd ?? submission,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

async function engineLabels(kind: string, name: string): Promise<Record<string, string>> {
  const format = kind === 'container' || kind === 'image' ? '{{json .Config.Labels}}' : '{{json .Labels}}';
  return JSON.parse(await engine([kind, 'inspect', '--format', format, name])) as Record<string, string>;
}

beforeAll(async () => {
  submission = tempDir('proxy-submission');
  socketDir = tempDir('proxy-socket');
  mkdirSync(path.join(submission, 'sub'));
  writeFileSync(path.join(submission, 'sub', 'hello.txt'), 'hello from the submission\n');
  proxy = await startProxyOnEngine({ runId, scope, submission, socketDir });
});

afterAll(async () => {
  await proxy?.close();
  await removeRunObjects(runId);
  await engine(['rm', '-f', bystander]).catch(() => undefined);
  await engine(['volume', 'rm', bystander]).catch(() => undefined);
  await engine(['network', 'rm', bystander]).catch(() => undefined);
  rmSync(submission, { recursive: true, force: true });
  rmSync(socketDir, { recursive: true, force: true });
  expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
});

describe.each(CLIS)('forwarding with %s', (cli) => {
  it('runs an attached container (hijacked attach) and prints its output', async () => {
    const result = await docker(['run', '--rm', 'busybox', 'echo', 'hi'], { cli });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('hi\n');
    expect(result.code).toBe(0);
  });

  it('passes stdin through the hijacked connection and returns the exit code', async () => {
    const result = await new Promise<Run>((resolve) => {
      const child = execFile(
        cli,
        ['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; exit 3'],
        {
          env: { PATH: process.env.PATH, HOME: socketDir, DOCKER_HOST: `unix://${proxy.socketPath}` },
          timeout: 60_000,
        },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
            stdout,
            stderr,
          }),
      );
      child.stdin?.end('from stdin\n');
    });
    expect(result.stdout).toBe('from stdin\n');
    expect(result.code).toBe(3);
  });

  it('runs detached, execs, follows logs and removes', async () => {
    const name = `detached-${path.basename(cli)}-${CLIS.indexOf(cli)}`;
    const started = await docker(
      ['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo started; sleep 600'],
      {
        cli,
      },
    );
    expect(started.code, started.stderr).toBe(0);
    const exec = await docker(['exec', name, 'cat', '/proc/1/cmdline'], { cli });
    expect(exec.stdout.replace(/\0/g, ' ')).toContain('sleep 600');
    // Follow mode never ends on its own: the timeout ends it, and what came before is there.
    const logs = await docker(['logs', '-f', name], { cli, timeoutMs: 3_000 });
    expect(logs.stdout).toBe('started\n');
    // The CLI killed mid-request (sleep as PID 1 ignores SIGTERM, so stop waits) is the
    // student's doing, not the engine failing.
    await docker(['stop', '-t', '5', name], { cli, timeoutMs: 1_000 });
    await expect
      .poll(() => proxy.inFlight().filter((what) => what.includes(name)), { timeout: 10_000 })
      .toEqual([]);
    expect(proxy.engineErrors).toEqual([]);
    const inspected = await docker(['inspect', '--format', '{{.Name}}', name], { cli });
    expect(inspected.stdout.trim()).toBe(`/${name}`);
    const removed = await docker(['rm', '-f', name], { cli });
    expect(removed.code, removed.stderr).toBe(0);
  });
});

describe('creation through the proxy', () => {
  it('stamps the run labels and the hardened profile on containers, keeps the student name', async () => {
    const run = await docker(['run', '-d', '--name', 'web', '-p', '18080:80', 'busybox', 'sleep', '600']);
    expect(run.code, run.stderr).toBe(0);
    const realName = `${scope}-web`;
    const labels = await engineLabels('container', realName);
    expect(labels[RUN_LABEL]).toBe(runId);
    expect(labels['org.docker-autograder.scope']).toBe(scope);
    expect(labels['org.docker-autograder.name']).toBe('web');
    expect(JSON.parse(labels['org.docker-autograder.ports'] ?? '{}')).toEqual({ '80/tcp': [18080] });
    const hostConfig = JSON.parse(
      await engine(['inspect', '--format', '{{json .HostConfig}}', realName]),
    ) as Record<string, unknown>;
    expect(hostConfig.CapDrop).toEqual(['ALL']);
    expect(hostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(hostConfig.PidsLimit).toBe(256);
    expect(hostConfig.Memory).toBe(hostConfig.MemorySwap);
    expect(hostConfig.Privileged).toBe(false);
    const bindings = hostConfig.PortBindings as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    expect(bindings['80/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: '' }]);
    const port = await engine(['port', realName, '80/tcp']);
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(port).not.toBe('127.0.0.1:18080');
    // The student sees the port asked for, as on a private engine.
    expect((await docker(['port', 'web', '80/tcp'])).stdout.trim()).toBe('127.0.0.1:18080');
    expect((await docker(['ps', '--filter', 'name=^web$', '--format', '{{.Ports}}'])).stdout).toContain(
      '127.0.0.1:18080->80/tcp',
    );
  });

  it('refuses a second container of the run asking for the same host port', async () => {
    const second = await docker(['run', '-d', '--name', 'web2', '-p', '18080:80', 'busybox', 'sleep', '600']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('port is already allocated');
  });

  it('builds an image with a scoped tag and the run labels', async () => {
    const context = path.join(submission, 'app');
    mkdirSync(context, { recursive: true });
    writeFileSync(
      path.join(context, 'Dockerfile'),
      'FROM busybox\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n',
    );
    const build = await docker(['build', '-t', 'my_app:0.0.1', '.'], { cwd: context, timeoutMs: 120_000 });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain('Successfully tagged my_app:0.0.1');
    const labels = await engineLabels('image', `${scope}-my_app:0.0.1`);
    expect(labels[RUN_LABEL]).toBe(runId);
    const run = await docker(['run', '--rm', 'my_app:0.0.1']);
    expect(run.stdout).toBe('built\n');
    const images = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images.stdout.split('\n')).toContain('my_app:0.0.1');
    expect(images.stdout.split('\n')).toContain('busybox:latest');
  });

  it('creates labelled networks and volumes, and containers find each other by name', async () => {
    expect((await docker(['network', 'create', 'backend'])).code).toBe(0);
    expect((await docker(['volume', 'create', 'data'])).code).toBe(0);
    expect((await engineLabels('network', `${scope}-backend`))[RUN_LABEL]).toBe(runId);
    expect((await engineLabels('volume', `${scope}-data`))[RUN_LABEL]).toBe(runId);
    const server = await docker(
      words(
        'run -d --name server --network backend -v data:/data busybox sh -c',
        'echo stored > /data/file; httpd -f -p 8080 -h /data',
      ),
    );
    expect(server.code, server.stderr).toBe(0);
    const client = await docker(
      words(
        'run --rm --network backend busybox sh -c',
        'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://server:8080/file && exit 0; sleep 0.5; done; exit 1',
      ),
    );
    expect(client.stdout, client.stderr).toBe('stored\n');
    const networks = await docker(['network', 'ls', '--format', '{{.Name}}']);
    expect(networks.stdout.trim().split('\n')).toEqual(['backend']);
    const volumes = await docker(['volume', 'ls', '--format', '{{.Name}}']);
    expect(volumes.stdout.trim().split('\n')).toEqual(['data']);
    const inspect = await docker([
      'network',
      'inspect',
      '--format',
      '{{range .Containers}}{{.Name}} {{end}}',
      'backend',
    ]);
    expect(inspect.stdout.trim()).toBe('server');
  });

  it('allows a bind mount of a folder inside the submission', async () => {
    const result = await docker([
      'run',
      '--rm',
      '-v',
      `${submission}/sub:/x`,
      'busybox',
      'cat',
      '/x/hello.txt',
    ]);
    expect(result.stdout, result.stderr).toBe('hello from the submission\n');
  });
});

describe('refusals', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['--privileged', ['--privileged'], /privileged containers are not allowed/],
    ['-v /:/host', ['-v', '/:/host'], /only folders inside the submission/],
    ['-v /var/run/docker.sock:/s', ['-v', '/var/run/docker.sock:/s'], /Docker socket/],
    ['--pid host', ['--pid', 'host'], /--pid host/],
    ['--network host', ['--network', 'host'], /--network host/],
    ['--cap-add SYS_ADMIN', ['--cap-add', 'SYS_ADMIN'], /SYS_ADMIN are not allowed/],
    ['--device /dev/null', ['--device', '/dev/null'], /host devices are not allowed/],
    ['--security-opt seccomp=unconfined', ['--security-opt', 'seccomp=unconfined'], /security option/],
    ['-p 192.0.2.1:18081:80', ['-p', '192.0.2.1:18081:80'], /publish on 127\.0\.0\.1/],
    ['-v $PWD/../:/up', ['-v', '__SUBMISSION__/../:/up'], /only folders inside the submission/],
  ];
  it.each(cases)('refuses %s with a message', async (_title, flags, message) => {
    const before = proxy.refusals.length;
    const args = flags.map((flag) => flag.replace('__SUBMISSION__', submission));
    const result = await docker(['run', '--rm', ...args, 'busybox', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('refused by the grader');
    expect(proxy.refusals.slice(before).join('\n')).toMatch(message);
  });

  it('refuses a symlink in the submission that points outside it', async () => {
    const link = path.join(submission, 'escape');
    rmSync(link, { force: true });
    await execFileAsync('ln', ['-s', '/etc', link]);
    const result = await docker(['run', '--rm', '-v', `${link}:/x`, 'busybox', 'true']);
    expect(result.stderr).toMatch(/only folders inside the submission/);
  });

  it('refuses the swarm and prune endpoints', async () => {
    expect((await docker(['swarm', 'init'])).stderr).toMatch(/refused by the grader/);
    expect((await docker(['container', 'prune', '-f'])).stderr).toMatch(/refused by the grader/);
  });
});

describe('bystanders', () => {
  // Made right before each test: until issue 7 is merged everywhere, other gradings on this shared
  // engine still remove what appears during their scripts, bystanders included.
  beforeEach(async () => {
    await engine(['rm', '-f', bystander]).catch(() => undefined);
    await engine(['run', '-d', '--name', bystander, 'busybox', 'sleep', '600']);
    await engine(['volume', 'create', bystander]);
    await engine(['network', 'create', bystander]).catch(() => undefined);
  });

  beforeAll(async () => {
    const own = await docker(['run', '-d', '--name', 'lister', 'busybox', 'sleep', '600']);
    expect(own.code, own.stderr).toBe(0);
  });

  it('lists only the run’s containers', async () => {
    const all = await docker(['ps', '-aq', '--no-trunc']);
    const ids = all.stdout.trim().split('\n').filter(Boolean);
    const own = await runObjects('container', runId);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids)).toEqual(new Set(own));
  });

  it('cannot see, exec in, or remove a bystander container, volume or network', async () => {
    const id = await engine(['inspect', '--format', '{{.Id}}', bystander]);
    for (const args of [
      ['rm', bystander],
      ['rm', id],
      ['exec', bystander, 'true'],
      ['inspect', bystander],
      ['volume', 'rm', bystander],
      ['network', 'rm', bystander],
      ['network', 'connect', bystander, 'lister'],
    ]) {
      const result = await docker(args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(/No such|no such|not found/);
    }
    // The CLI's rm -f ignores "no such container": what matters is that the bystander lives on.
    await docker(['rm', '-f', bystander, id]);
    expect(await engine(['inspect', '--format', '{{.State.Running}}', bystander])).toBe('true');
    expect(await engine(['volume', 'inspect', '--format', '{{.Name}}', bystander])).toBe(bystander);
    expect(await engine(['network', 'inspect', '--format', '{{.Name}}', bystander])).toBe(bystander);
  });

  it('rm -f $(docker ps -aq) removes only the run’s containers', async () => {
    const ids = (await docker(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean);
    const removed = await docker(['rm', '-f', ...ids]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await engine(['inspect', '--format', '{{.State.Running}}', bystander])).toBe('true');
    expect((await docker(['ps', '-aq'])).stdout.trim()).toBe('');
  });
});

describe('docker-compose v1 through the proxy', () => {
  // Where compose v1 can work at all: installed, and an engine that still serves ContainerConfig.
  const hasCompose = existsSync('/usr/bin/docker-compose') && engineServesContainerConfig();
  it.runIf(hasCompose)(
    'builds, starts, recreates and takes down a stack under the student’s names',
    async () => {
      const project = path.join(submission, 'stack');
      mkdirSync(project, { recursive: true });
      writeFileSync(path.join(project, 'Dockerfile'), 'FROM busybox\nRUN echo web > /index.html\n');
      writeFileSync(
        path.join(project, 'docker-compose.yml'),
        [
          'services:',
          '  web:',
          '    build: .',
          '    command: httpd -f -p 8080 -h /',
          '    ports: ["18000:8080"]',
          '    volumes: ["web-data:/data"]',
          '  cache:',
          '    image: redis',
          'volumes:',
          '  web-data:',
          '',
        ].join('\n'),
      );
      const compose = (args: string[]): Promise<Run> =>
        new Promise((resolve) => {
          execFile(
            '/usr/bin/docker-compose',
            ['-p', 'stack', ...args],
            {
              cwd: project,
              timeout: 120_000,
              env: { PATH: process.env.PATH, HOME: socketDir, DOCKER_HOST: `unix://${proxy.socketPath}` },
            },
            (error, stdout, stderr) =>
              resolve({
                code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
                stdout,
                stderr,
              }),
          );
        });
      const up = await compose(['up', '-d', '--build']);
      expect(up.code, up.stderr).toBe(0);
      const ping = await compose(['exec', '-T', 'web', 'sh', '-c', 'echo PING | nc -w 2 cache 6379']);
      expect(ping.stdout, ping.stderr).toContain('+PONG');
      const ps = await compose(['ps', '--services', '--filter', 'status=running']);
      expect(ps.stdout.trim().split('\n').sort()).toEqual(['cache', 'web']);
      // Recreating keeps the anonymous /data volume of redis: compose hands it over by name.
      const again = await compose(['up', '-d', '--force-recreate']);
      expect(again.code, again.stderr).toBe(0);
      for (const name of ['stack_web_1', 'stack_cache_1']) {
        expect((await engineLabels('container', `${scope}-${name}`))[RUN_LABEL]).toBe(runId);
      }
      expect((await engineLabels('network', `${scope}-stack_default`))[RUN_LABEL]).toBe(runId);
      expect((await engineLabels('volume', `${scope}-stack_web-data`))[RUN_LABEL]).toBe(runId);
      const down = await compose(['down', '-v', '--rmi', 'local']);
      expect(down.code, down.stderr).toBe(0);
      expect(
        await engine([
          'ps',
          '-aq',
          '--filter',
          `label=com.docker.compose.project=stack`,
          '--filter',
          `label=${RUN_LABEL}=${runId}`,
        ]),
      ).toBe('');
    },
  );
});

describe('more of the API', () => {
  it('says what a hanging command waits for', async () => {
    const pending = docker(['run', '--rm', '--name', 'sleeper', 'busybox', 'sleep', '4']);
    await expect
      .poll(() => proxy.inFlight().join('\n'), { timeout: 15_000, interval: 100 })
      .toMatch(/(waiting for|attached to) container sleeper/);
    expect((await pending).code).toBe(0);
    await expect.poll(() => proxy.inFlight(), { timeout: 5_000, interval: 100 }).toEqual([]);
  });

  it('copies files in and out, and shows the processes of a container', async () => {
    expect((await docker(['run', '-d', '--name', 'box', 'busybox', 'sleep', '600'])).code).toBe(0);
    const copyIn = await docker(['cp', path.join(submission, 'sub', 'hello.txt'), 'box:/tmp/hello.txt']);
    expect(copyIn.code, copyIn.stderr).toBe(0);
    const out = path.join(submission, 'copied.txt');
    const copyOut = await docker(['cp', 'box:/tmp/hello.txt', out]);
    expect(copyOut.code, copyOut.stderr).toBe(0);
    expect((await execFileAsync('cat', [out])).stdout).toBe('hello from the submission\n');
    const top = await docker(['top', 'box']);
    expect(top.stdout).toContain('sleep 600');
  });

  it('tags and removes the run’s images, but not base images', async () => {
    const context = path.join(submission, 'tagged');
    mkdirSync(context, { recursive: true });
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM busybox\nLABEL purpose=tagging\n');
    expect((await docker(['build', '-q', '-t', 'tagged:1', '.'], { cwd: context })).code).toBe(0);
    expect((await docker(['tag', 'tagged:1', 'tagged:2'])).code).toBe(0);
    expect(await engine(['image', 'inspect', '--format', '{{.Id}}', `${scope}-tagged:2`])).toMatch(
      /^sha256:/,
    );
    const base = await docker(['tag', 'busybox', 'mybusybox']);
    expect(base.stderr).toMatch(/base image: only images this grading built may be tagged/);
    const rmiBase = await docker(['rmi', 'busybox']);
    expect(rmiBase.stderr).toMatch(/base image/);
    expect((await docker(['rmi', 'tagged:1', 'tagged:2'])).code).toBe(0);
    expect(await engine(['images', '-q', `${scope}-tagged`])).toBe('');
  });

  it('shows the run’s own events with the student’s names', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    expect((await docker(['run', '--rm', '--name', 'eventful', 'busybox', 'true'])).code).toBe(0);
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = await docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'type=container',
      '--format',
      '{{.Actor.Attributes.name}} {{.Action}}',
    ]);
    expect(events.stdout).toContain('eventful start');
    expect(events.stdout).not.toContain(scope);
  });

  it.runIf(CLIS.length > 1)('refuses with Debian’s docker 20.10 too', async () => {
    const result = await docker(['run', '--rm', '--privileged', 'busybox', 'true'], { cli: CLIS[1] });
    expect(result.stderr).toMatch(/refused by the grader: privileged containers are not allowed/);
    const mount = await docker(['run', '--rm', '-v', '/var/run/docker.sock:/s', 'busybox', 'true'], {
      cli: CLIS[1],
    });
    expect(mount.stderr).toMatch(/Docker socket/);
  });

  it('refuses privileged exec, host-path volumes and host networking of builds', async () => {
    expect((await docker(['run', '-d', '--name', 'target', 'busybox', 'sleep', '600'])).code).toBe(0);
    expect((await docker(['exec', '--privileged', 'target', 'true'])).stderr).toMatch(/privileged exec/);
    const volume = await docker([
      'volume',
      'create',
      '--opt',
      'type=none',
      '--opt',
      'o=bind',
      '--opt',
      'device=/',
      'root',
    ]);
    expect(volume.stderr).toMatch(/host path/);
    const context = path.join(submission, 'app');
    const build = await docker(['build', '--network', 'host', '.'], { cwd: context });
    expect(build.stderr).toMatch(/build network host is not allowed/);
  });
});

describe('docker-compose v1 refusals', () => {
  it.runIf(existsSync('/usr/bin/docker-compose'))(
    'refuses privileged services, host paths and the socket with the grader’s message',
    async () => {
      const project = path.join(submission, 'bad-stack');
      mkdirSync(project, { recursive: true });
      const services: Array<[string, string]> = [
        ['privileged: true', /privileged containers are not allowed/.source],
        ['volumes: ["/etc:/host-etc"]', /only folders inside the submission/.source],
        ['volumes: ["/var/run/docker.sock:/var/run/docker.sock"]', /Docker socket/.source],
        ['pid: host', /--pid host/.source],
      ];
      for (const [line, message] of services) {
        writeFileSync(
          path.join(project, 'docker-compose.yml'),
          `services:\n  bad:\n    image: busybox\n    command: "true"\n    ${line}\n`,
        );
        const result = await new Promise<Run>((resolve) => {
          execFile(
            '/usr/bin/docker-compose',
            ['-p', 'bad', 'up', '-d'],
            {
              cwd: project,
              timeout: 60_000,
              env: { PATH: process.env.PATH, HOME: socketDir, DOCKER_HOST: `unix://${proxy.socketPath}` },
            },
            (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
          );
        });
        expect(result.code, line).toBe(1);
        expect(result.stderr, line).toMatch(new RegExp(`refused by the grader: .*${message}`));
      }
      await docker(['network', 'rm', 'bad_default']);
    },
  );
});

describe('two gradings on one engine', () => {
  it('both run a container named web on host port 18080, each seeing only its own', async () => {
    const otherDir = tempDir('proxy-other-socket');
    const other = await startPolicyProxy({
      upstream: { socketPath: ENGINE_SOCKET },
      listenPath: path.join(otherDir, 'docker.sock'),
      runId,
      scope: `${runId}-2`,
      submissionDir: submission,
      policy: { extraCapabilities: [], publicPorts: false },
    });
    const env = (socket: string) => ({
      PATH: process.env.PATH,
      HOME: otherDir,
      DOCKER_HOST: `unix://${socket}`,
    });
    const run = (socket: string, args: string[]) =>
      execFileAsync(NEW_CLI, args, { env: env(socket) }).then(({ stdout }) => stdout.trim());
    try {
      await run(proxy.socketPath, ['rm', '-f', 'twin']);
      await Promise.all(
        [proxy.socketPath, other.socketPath].map((socket) =>
          run(socket, ['run', '-d', '--name', 'twin', '-p', '18080:80', 'busybox', 'sleep', '600']),
        ),
      );
      const mine = await run(proxy.socketPath, ['ps', '--format', '{{.Names}}', '--filter', 'name=^twin$']);
      const theirs = await run(other.socketPath, ['ps', '-a', '--format', '{{.Names}}']);
      expect(mine).toBe('twin');
      expect(theirs).toBe('twin');
      const ids = await Promise.all(
        [proxy.socketPath, other.socketPath].map((socket) =>
          run(socket, ['inspect', '--format', '{{.Id}}', 'twin']),
        ),
      );
      expect(ids[0]).not.toBe(ids[1]);
    } finally {
      await other.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe('faults', () => {
  it('reports an engine it cannot reach as the engine’s failure, not a refusal', async () => {
    const dir = tempDir('proxy-dead-engine');
    const dead = await startPolicyProxy({
      upstream: { socketPath: path.join(dir, 'nothing-here.sock') },
      listenPath: path.join(dir, 'docker.sock'),
      runId,
      scope: `${runId}-3`,
      submissionDir: submission,
      policy: { extraCapabilities: [], publicPorts: false },
    });
    try {
      const result = await new Promise<Run>((resolve) => {
        execFile(
          NEW_CLI,
          ['rm', 'anything'],
          { env: { PATH: process.env.PATH, HOME: dir, DOCKER_HOST: `unix://${dead.socketPath}` } },
          (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
        );
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/could not reach the Docker engine/);
      expect(dead.engineErrors.length).toBeGreaterThan(0);
      expect(dead.refusals).toEqual([]);
    } finally {
      await dead.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a JSON body larger than 1 MiB instead of buffering it', async () => {
    const envFile = path.join(submission, 'big.env');
    writeFileSync(
      envFile,
      Array.from({ length: 30 }, (_, index) => `BIG${index}=${'x'.repeat(50_000)}\n`).join(''),
    );
    const result = await docker(['run', '--rm', '--env-file', envFile, 'busybox', 'true']);
    expect(result.stderr).toMatch(/larger than 1024 KiB/);
  });
});
