// The gate against what a script can send past the docker CLI, on the real engine: keys in any
// letter case, hijacked connections, old API versions, the host network by id, bind sources
// swapped after create, failed builds, anonymous volumes, forged labels, lookups answered 4xx.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import { abuseExercise, Gradings, printed, script } from '../../support/abuse-grading';
import { summary } from '../../support/inline-grading';
import { onEngine as engine } from '../../support/integration';
import { expectRefused, OLD_API_START } from '../../support/proxy-attacks';
import { ProxyRun, words } from '../../support/proxy-on-engine';
import { rawRequest, UPGRADE } from '../../support/sockets';

const run = new ProxyRun('abuse-api', 120_000);
const { runId, scope } = run;
/** A name no one else uses: what a smuggled request would create, unscoped and unlabelled. */
const smuggledName = `abuse-api-smuggled-${randomBytes(4).toString('hex')}`;
const gradings = new Gradings();

beforeAll(() => run.start());

afterAll(async () => {
  // Only there if a smuggled request got through (then the test failed): it is this test's.
  await engine(['rm', '-f', smuggledName]).catch(() => undefined);
  await run.stop();
  await gradings.stop();
});

/** A container `name` of the run, running, and an exec of `body` created in it; the exec's id. */
async function execIn(name: string, body: string): Promise<string> {
  expect((await run.docker(words(`run -d --name ${name} busybox sleep 300`))).code).toBe(0);
  const exec = await run.request('POST', `/v1.41/containers/${name}/exec`, body);
  expect(exec.status, exec.body).toBe(201);
  return (JSON.parse(exec.body) as { Id: string }).Id;
}

/** The start of the exec on a connection it asks to upgrade, as the bytes a script writes. */
function upgradedStart(execId: string, body: string): string {
  return rawRequest('POST', `/v1.41/exec/${execId}/start`, body, UPGRADE);
}

describe('keys the engine reads in any letter case', () => {
  it('a script sending {"hostconfig":{"privileged":true}} by hand is refused, and nothing ran', async () => {
    // The client image has perl: a student can speak HTTP to the gate without the docker CLI.
    const perl = script(
      'use IO::Socket::UNIX;',
      '(my $path = $ENV{DOCKER_HOST}) =~ s{^unix://}{};',
      'my $socket = IO::Socket::UNIX->new(Peer => $path) or die "connect: $!";',
      'my $body = q({"image":"busybox","cmd":["echo","ESCAPED"],"hostconfig":{"privileged":true,"binds":["/:/host"]}});',
      'print $socket "POST /v1.41/containers/create?name=evil HTTP/1.1\\r\\nHost: docker\\r\\nContent-Type: application/json\\r\\nContent-Length: " . length($body) . "\\r\\nConnection: close\\r\\n\\r\\n$body";',
      'print while <$socket>;',
    );
    const graded = await gradings.grade(
      abuseExercise(
        'lowercase-keys',
        ['  - script: { file: run.sh }'],
        ['  - name: evil never ran', '    container: { name: evil }', '    expect: { exists: false }'],
      ),
      { 'run.sh': 'perl raw.pl\n', 'raw.pl': perl },
      { prefix: 'abk' },
    );
    const output = printed(graded).join('\n');
    expect(output, summary(graded)).toMatch(/HTTP\/1\.1 403/);
    expect(output).toMatch(/privileged containers are not allowed/);
    expect(graded.statuses['evil never ran'], summary(graded)).toBe('pass');
  });

  it('refuses a device asked for in lower case: the engine never gets the container', async () => {
    const name = `lower-${randomBytes(3).toString('hex')}`;
    const device = '{"pathonhost":"/dev/kmsg","pathincontainer":"/dev/kmsg","cgrouppermissions":"r"}';
    const body = `{"image":"busybox","cmd":["true"],"hostconfig":{"devices":[${device}]}}`;
    expectRefused(await run.request('POST', `/v1.41/containers/create?name=${name}`, body), {
      status: 403,
      reason: /host devices are not allowed/,
    });
    expect(await engine(['ps', '-aq', '--filter', `name=^/${scope}-${name}$`])).toBe('');
  });
});

describe('hijacked connections', () => {
  it('forwards nothing after an answer that is not 101: a request smuggled behind it never runs', async () => {
    const execId = await execIn('paused', '{"Cmd":["true"],"AttachStdout":true,"AttachStderr":true}');
    // The engine refuses to start an exec in a paused container: a 409, no protocol switch.
    expect((await run.docker(['pause', 'paused'])).code).toBe(0);
    const smuggledBody = '{"Image":"busybox","Cmd":["sleep","300"],"HostConfig":{"Privileged":true}}';
    const answer = await run.raw(
      upgradedStart(execId, '{"Detach":false,"Tty":false}') +
        rawRequest('POST', `/v1.41/containers/create?name=${smuggledName}`, smuggledBody),
    );
    expect((await run.docker(['unpause', 'paused'])).code).toBe(0);
    expect(answer).toMatch(/^HTTP\/1\.1 409 /);
    expect(answer).toMatch(/is paused/);
    expect(await engine(['ps', '-aq', '--filter', `name=^/${smuggledName}$`])).toBe('');
  });

  it('refuses a detached exec start on an upgraded connection', async () => {
    const execId = await execIn('running', '{"Cmd":["sh","-c","echo ran > /ran"],"AttachStdout":true}');
    const answer = await run.raw(upgradedStart(execId, '{"detach":true}'));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('a detached exec cannot be started on an upgraded connection');
    const state = await engine(words(`exec ${scope}-running sh -c`, 'cat /ran 2>/dev/null || echo absent'));
    expect(state).toBe('absent');
  });
});

describe('old API versions', () => {
  it('refuses a start with a HostConfig body under /v1.23: the container does not run', async () => {
    expect((await run.docker(words('create --name old busybox sleep 300'))).code).toBe(0);
    const answer = await run.request('POST', OLD_API_START.url('old'), OLD_API_START.body);
    expectRefused(answer, OLD_API_START);
    expect(
      await engine(['inspect', '--format', '{{.State.Running}} {{.HostConfig.Privileged}}', `${scope}-old`]),
    ).toBe('false false');
  });
});

describe('the host network by id', () => {
  it('refuses a container and a build on the host network named by its id or an id prefix', async () => {
    const hostId = await engine(['network', 'inspect', '--format', '{{.Id}}', 'host']);
    for (const reference of [hostId, hostId.slice(0, 12)]) {
      const ran = await run.docker(words(`run --rm --network ${reference} busybox true`));
      expect(ran.code).not.toBe(0);
      expect(ran.stderr).toMatch(/--network host\): .* is the host network/);
    }
    mkdirSync(path.join(run.submission, 'build'), { recursive: true });
    writeFileSync(path.join(run.submission, 'build', 'Dockerfile'), 'FROM busybox\nRUN echo built\n');
    const build = await run.docker(words(`build --network ${hostId.slice(0, 12)} -t hostnet build`));
    expect(build.code).not.toBe(0);
    expect(build.stderr).toMatch(/--network host/);
    expect(build.stdout).not.toMatch(/built/);
  });
});

describe('bind sources at start', () => {
  it('refuses to start a container whose bind source became a symlink to / after create', async () => {
    const html = path.join(run.submission, 'html');
    mkdirSync(html);
    writeFileSync(path.join(html, 'index.html'), 'hello\n');
    expect((await run.docker(words(`create --name swap -v ${html}:/mnt:ro busybox ls /mnt`))).code).toBe(0);
    rmSync(html, { recursive: true });
    symlinkSync('/', html);
    const start = await run.docker(['start', '-a', 'swap']);
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
    mkdirSync(path.join(run.submission, 'failing'), { recursive: true });
    writeFileSync(
      path.join(run.submission, 'failing', 'Dockerfile'),
      `FROM busybox\nRUN echo ${marker} && exit 2\n`,
    );
    const build = await run.docker(['build', '-t', 'failing', 'failing']);
    expect(build.code).not.toBe(0);
    expect(`${build.stdout}${build.stderr}`).toContain(marker);
    const commands = await engine(['ps', '-a', '--no-trunc', '--format', '{{.Command}}']);
    expect(commands).not.toContain(marker);
  });
});

describe('anonymous volumes', () => {
  it('of --mount type=volume without a source carry the run’s labels', async () => {
    const anon = await run.docker(words('run --name anon --mount type=volume,target=/data busybox true'));
    expect(anon.code, anon.stderr).toBe(0);
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
    const dockerfile = script(
      'FROM busybox:latest',
      `LABEL org.docker-autograder.name=forged org.docker-autograder.ports='{"80/tcp":[18080]}' \\`,
      `      org.docker-autograder.restart='{"Name":"always","MaximumRetryCount":0}'`,
      'CMD ["sleep", "300"]',
    );
    const graded = await gradings.grade(
      abuseExercise(
        'forged-labels',
        ['  - build: { name: app }', '  - run: { name: web, image: app, volumes: ["./site:/www"] }'],
        [
          '  - name: the engine’s policy and ports',
          '    container: { name: web }',
          '    expect: { restartPolicy: "no", ports: [] }',
        ],
      ),
      { Dockerfile: dockerfile, 'site/index.html': 'hi\n' },
      { prefix: 'abl' },
    );
    expect(graded.statuses['the engine’s policy and ports'], summary(graded)).toBe('pass');
  });
});

describe('lookups the engine answers with 4xx', () => {
  it('grade a script that fails on an invalid image name as failed, not as an engine error', async () => {
    const graded = await gradings.grade(
      abuseExercise('invalid-reference', ['  - script: { file: run.sh }']),
      { 'run.sh': 'docker image inspect MyApp\n' },
      { prefix: 'abr' },
    );
    expect(graded.exercise.status, summary(graded)).not.toBe('error');
    expect(graded.exercise.setupError).toMatch(/^run\.sh exited with code 1/);
    expect(graded.exercise.setupLog).toMatch(/invalid reference format|repository name must be lowercase/);
  });
});
