import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import type { PolicyProxy } from '../../../src/proxy/index';
import { gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';
import {
  dockerThroughProxy,
  onEngine as engine,
  labelled,
  type Run,
  tempDir,
} from '../../support/integration';
import { removeRunObjects, startProxyOnEngine } from '../../support/proxy-on-engine';
import { rawExchange, socketRequest } from '../../support/sockets';

const runId = `abuse-api-${randomBytes(4).toString('hex')}`;
const scope = `${runId}-1`;
/** A name no one else uses: what a smuggled request would create, unscoped and unlabelled. */
const smuggledName = `abuse-api-smuggled-${randomBytes(4).toString('hex')}`;
const gradedRuns: string[] = [];

let proxy: PolicyProxy;
let submission: string;
let socketDir: string;

/** The docker CLI through the proxy, as the student's script runs it. */
function docker(args: string[]): Promise<Run> {
  return dockerThroughProxy(proxy.socketPath, socketDir, args, { cwd: submission, timeoutMs: 120_000 });
}

/** One request to the proxy as raw bytes; all it answers until it closes the connection. */
function raw(bytes: string): Promise<string> {
  return rawExchange(proxy.socketPath, bytes, { timeoutMs: 30_000 });
}

function request(method: string, url: string, body?: string): Promise<{ status: number; body: string }> {
  return socketRequest(proxy.socketPath, method, url, body);
}

beforeAll(async () => {
  submission = tempDir('abuse-api-submission');
  socketDir = tempDir('abuse-api-socket');
  proxy = await startProxyOnEngine({ runId, scope, submission, socketDir });
});

afterAll(async () => {
  await proxy?.close();
  await removeRunObjects(runId);
  // Only there if a smuggled request got through (then the test failed): it is this test's.
  await engine(['rm', '-f', smuggledName]).catch(() => undefined);
  rmSync(submission, { recursive: true, force: true });
  rmSync(socketDir, { recursive: true, force: true });
  removeTempDirs();
  expect(await labelled(`${RUN_LABEL}=${runId}`)).toEqual([]);
  for (const graded of gradedRuns) expect(await leftovers(graded)).toEqual([]);
});

describe('keys the engine reads in any letter case', () => {
  it('a script sending {"hostconfig":{"privileged":true}} by hand is refused, and nothing ran', async () => {
    // The client image has perl: a student can speak HTTP to the gate without the docker CLI.
    const script = [
      'use IO::Socket::UNIX;',
      '(my $path = $ENV{DOCKER_HOST}) =~ s{^unix://}{};',
      'my $socket = IO::Socket::UNIX->new(Peer => $path) or die "connect: $!";',
      'my $body = q({"image":"busybox","cmd":["echo","ESCAPED"],"hostconfig":{"privileged":true,"binds":["/:/host"]}});',
      'print $socket "POST /v1.41/containers/create?name=evil HTTP/1.1\\r\\nHost: docker\\r\\nContent-Type: application/json\\r\\nContent-Length: " . length($body) . "\\r\\nConnection: close\\r\\n\\r\\n$body";',
      'print while <$socket>;',
      '',
    ].join('\n');
    const graded = await gradeInline(
      [
        'version: 1',
        'id: abuse/lowercase-keys',
        'title: lowercase keys',
        'steps:',
        '  - script: { file: run.sh }',
        'checks:',
        '  - name: evil never ran',
        '    container: { name: evil }',
        '    expect: { exists: false }',
        '',
      ].join('\n'),
      { 'run.sh': 'perl raw.pl\n', 'raw.pl': script },
      { prefix: 'abk' },
    );
    gradedRuns.push(graded.runId);
    const output = graded.log.filter((line) => line.startsWith('| ')).join('\n');
    expect(output, summary(graded)).toMatch(/HTTP\/1\.1 403/);
    expect(output).toMatch(/privileged containers are not allowed/);
    expect(graded.statuses['evil never ran'], summary(graded)).toBe('pass');
  });

  it('refuses a device asked for in lower case: the engine never gets the container', async () => {
    const name = `lower-${randomBytes(3).toString('hex')}`;
    const answer = await request(
      'POST',
      `/v1.41/containers/create?name=${name}`,
      '{"image":"busybox","cmd":["true"],"hostconfig":{"devices":[{"pathonhost":"/dev/kmsg","pathincontainer":"/dev/kmsg","cgrouppermissions":"r"}]}}',
    );
    expect(answer.status, answer.body).toBe(403);
    expect(answer.body).toMatch(/host devices are not allowed/);
    expect(await engine(['ps', '-aq', '--filter', `name=^/${scope}-${name}$`])).toBe('');
  });
});

describe('hijacked connections', () => {
  it('forwards nothing after an answer that is not 101: a request smuggled behind it never runs', async () => {
    expect((await docker(['run', '-d', '--name', 'paused', 'busybox', 'sleep', '300'])).code).toBe(0);
    const exec = await request(
      'POST',
      '/v1.41/containers/paused/exec',
      '{"Cmd":["true"],"AttachStdout":true,"AttachStderr":true}',
    );
    expect(exec.status, exec.body).toBe(201);
    const execId = (JSON.parse(exec.body) as { Id: string }).Id;
    // The engine refuses to start an exec in a paused container: a 409, no protocol switch.
    expect((await docker(['pause', 'paused'])).code).toBe(0);
    const start = '{"Detach":false,"Tty":false}';
    const smuggledBody = '{"Image":"busybox","Cmd":["sleep","300"],"HostConfig":{"Privileged":true}}';
    const answer = await raw(
      `POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${start.length}\r\n\r\n${start}` +
        `POST /v1.41/containers/create?name=${smuggledName} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${smuggledBody.length}\r\n\r\n${smuggledBody}`,
    );
    expect((await docker(['unpause', 'paused'])).code).toBe(0);
    expect(answer).toMatch(/^HTTP\/1\.1 409 /);
    expect(answer).toMatch(/is paused/);
    expect(await engine(['ps', '-aq', '--filter', `name=^/${smuggledName}$`])).toBe('');
  });

  it('refuses a detached exec start on an upgraded connection', async () => {
    expect((await docker(['run', '-d', '--name', 'running', 'busybox', 'sleep', '300'])).code).toBe(0);
    const exec = await request(
      'POST',
      '/v1.41/containers/running/exec',
      '{"Cmd":["sh","-c","echo ran > /ran"],"AttachStdout":true}',
    );
    const execId = (JSON.parse(exec.body) as { Id: string }).Id;
    const start = '{"detach":true}';
    const answer = await raw(
      `POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${start.length}\r\n\r\n${start}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('a detached exec cannot be started on an upgraded connection');
    const state = await engine([
      'exec',
      `${scope}-running`,
      'sh',
      '-c',
      'cat /ran 2>/dev/null || echo absent',
    ]);
    expect(state).toBe('absent');
  });
});

describe('old API versions', () => {
  it('refuses a start with a HostConfig body under /v1.23: the container does not run', async () => {
    expect((await docker(['create', '--name', 'old', 'busybox', 'sleep', '300'])).code).toBe(0);
    const answer = await request(
      'POST',
      '/v1.23/containers/old/start',
      '{"Privileged":true,"Binds":["/:/host"]}',
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/Minimum supported API version is 1\.40/);
    expect(
      await engine(['inspect', '--format', '{{.State.Running}} {{.HostConfig.Privileged}}', `${scope}-old`]),
    ).toBe('false false');
  });
});

describe('the host network by id', () => {
  it('refuses a container and a build on the host network named by its id or an id prefix', async () => {
    const hostId = await engine(['network', 'inspect', '--format', '{{.Id}}', 'host']);
    for (const reference of [hostId, hostId.slice(0, 12)]) {
      const run = await docker(['run', '--rm', '--network', reference, 'busybox', 'true']);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/--network host\): .* is the host network/);
    }
    mkdirSync(path.join(submission, 'build'), { recursive: true });
    writeFileSync(path.join(submission, 'build', 'Dockerfile'), 'FROM busybox\nRUN echo built\n');
    const build = await docker(['build', '--network', hostId.slice(0, 12), '-t', 'hostnet', 'build']);
    expect(build.code).not.toBe(0);
    expect(build.stderr).toMatch(/--network host/);
    expect(build.stdout).not.toMatch(/built/);
  });
});

describe('bind sources at start', () => {
  it('refuses to start a container whose bind source became a symlink to / after create', async () => {
    const html = path.join(submission, 'html');
    mkdirSync(html);
    writeFileSync(path.join(html, 'index.html'), 'hello\n');
    expect(
      (await docker(['create', '--name', 'swap', '-v', `${html}:/mnt:ro`, 'busybox', 'ls', '/mnt'])).code,
    ).toBe(0);
    rmSync(html, { recursive: true });
    symlinkSync('/', html);
    const start = await docker(['start', '-a', 'swap']);
    expect(start.code).not.toBe(0);
    expect(start.stderr).toMatch(/checked again at start/);
    expect(start.stdout).not.toMatch(/etc|proc/);
    expect(await engine(['inspect', '--format', '{{.State.StartedAt}}', `${scope}-swap`])).toMatch(
      /^0001-01-01/,
    );
  });
});

describe('builds', () => {
  it('leave no intermediate container of a failed step behind', async () => {
    const marker = `failing-step-${randomBytes(4).toString('hex')}`;
    mkdirSync(path.join(submission, 'failing'), { recursive: true });
    writeFileSync(
      path.join(submission, 'failing', 'Dockerfile'),
      `FROM busybox\nRUN echo ${marker} && exit 2\n`,
    );
    const build = await docker(['build', '-t', 'failing', 'failing']);
    expect(build.code).not.toBe(0);
    expect(`${build.stdout}${build.stderr}`).toContain(marker);
    const commands = await engine(['ps', '-a', '--no-trunc', '--format', '{{.Command}}']);
    expect(commands).not.toContain(marker);
  });
});

describe('anonymous volumes', () => {
  it('of --mount type=volume without a source carry the run’s labels', async () => {
    const run = await docker([
      'run',
      '--name',
      'anon',
      '--mount',
      'type=volume,target=/data',
      'busybox',
      'true',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const volume = await engine([
      'inspect',
      '--format',
      '{{range .Mounts}}{{if eq .Destination "/data"}}{{.Name}}{{end}}{{end}}',
      `${scope}-anon`,
    ]);
    expect(volume).not.toBe('');
    expect(await engine(['volume', 'inspect', '--format', `{{index .Labels "${RUN_LABEL}"}}`, volume])).toBe(
      runId,
    );
  });
});

describe('labels of ours in a student’s Dockerfile', () => {
  it('are not believed of the containers made from the image', async () => {
    const dockerfile = [
      'FROM busybox:latest',
      `LABEL org.docker-autograder.name=forged org.docker-autograder.ports='{"80/tcp":[18080]}' \\`,
      `      org.docker-autograder.restart='{"Name":"always","MaximumRetryCount":0}'`,
      'CMD ["sleep", "300"]',
      '',
    ].join('\n');
    const graded = await gradeInline(
      [
        'version: 1',
        'id: abuse/forged-labels',
        'title: forged labels',
        'steps:',
        '  - build: { name: app }',
        '  - run: { name: web, image: app, volumes: ["./site:/www"] }',
        'checks:',
        '  - name: the engine’s policy and ports',
        '    container: { name: web }',
        '    expect: { restartPolicy: "no", ports: [] }',
        '',
      ].join('\n'),
      { Dockerfile: dockerfile, 'site/index.html': 'hi\n' },
      { prefix: 'abl' },
    );
    gradedRuns.push(graded.runId);
    expect(graded.statuses['the engine’s policy and ports'], summary(graded)).toBe('pass');
  });
});

describe('lookups the engine answers with 4xx', () => {
  it('grade a script that fails on an invalid image name as failed, not as an engine error', async () => {
    const graded = await gradeInline(
      [
        'version: 1',
        'id: abuse/invalid-reference',
        'title: invalid reference',
        'steps:',
        '  - script: { file: run.sh }',
        'checks:',
        '  - name: busybox is there',
        '    image: { name: busybox }',
        '    expect: { cmd: { contains: sh } }',
        '',
      ].join('\n'),
      { 'run.sh': 'docker image inspect MyApp\n' },
      { prefix: 'abr' },
    );
    gradedRuns.push(graded.runId);
    expect(graded.exercise.status, summary(graded)).not.toBe('error');
    expect(graded.exercise.setupError).toMatch(/^run\.sh exited with code 1/);
    expect(graded.exercise.setupLog).toMatch(/invalid reference format|repository name must be lowercase/);
  });
});
