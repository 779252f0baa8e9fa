// Pure parts of the steps: names, volume and healthcheck syntax, compose models and overrides.
// The wait conditions' wording is in waits.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeProjectName, containerName, resourceName } from '../../../src/naming/resource-names';
import { composeFiles, composeModel, readComposeModel } from '../../../src/steps/kinds/compose';
import { refusalNote, whyItWaits } from '../../../src/steps/kinds/script';
import { healthcheckRequest, parseVolumeMount } from '../../../src/steps/run-request';
import { formatCommand } from '../../../src/steps/text';

describe('names', () => {
  it('are valid for Docker and carry the scope', () => {
    expect(containerName('agx1-1', 'Web App')).toBe('agx1-1-web-app');
    expect(resourceName('agx1-1', 'public-net-1')).toBe('agx1-1-public-net-1');
  });

  it('makes compose project names of [a-z0-9_-] that start with a letter or digit', () => {
    expect(composeProjectName('agLXyz-2')).toBe('aglxyz-2');
    expect(composeProjectName('.run.3')).toBe('run-3');
    expect(composeProjectName('...')).toBe('docker-autograder');
  });
});

describe('volume mounts', () => {
  it('tells named volumes from submission folders', () => {
    expect(parseVolumeMount('data:/var/lib/db')).toEqual({
      type: 'volume',
      source: 'data',
      target: '/var/lib/db',
      readOnly: false,
    });
    expect(parseVolumeMount('./html:/usr/share/nginx/html:ro')).toEqual({
      type: 'bind',
      source: './html',
      target: '/usr/share/nginx/html',
      readOnly: true,
    });
    expect(parseVolumeMount({ source: 'html', target: '/www', type: 'bind', readOnly: true })).toMatchObject({
      type: 'bind',
      readOnly: true,
    });
    expect(parseVolumeMount({ source: '../up', target: '/x' }).type).toBe('bind');
    expect(parseVolumeMount({ source: 'cache', target: '/x' }).type).toBe('volume');
  });
});

describe('healthchecks', () => {
  it('turns spec durations into milliseconds and commands into the Engine form', () => {
    expect(
      healthcheckRequest({
        test: 'curl -f localhost',
        interval: '2s',
        timeout: 0.5,
        retries: 3,
        startPeriod: '1m',
      }),
    ).toEqual({
      test: ['CMD-SHELL', 'curl -f localhost'],
      intervalMs: 2000,
      timeoutMs: 500,
      retries: 3,
      startPeriodMs: 60_000,
    });
    expect(healthcheckRequest({ test: ['pg_isready'] }).test).toEqual(['CMD', 'pg_isready']);
    expect(healthcheckRequest({ test: ['CMD-SHELL', 'exit 0'] }).test).toEqual(['CMD-SHELL', 'exit 0']);
    expect(healthcheckRequest({ test: ['NONE'] }).test).toEqual(['NONE']);
  });
});

describe('compose model and label override', () => {
  const file = `
version: "3.8"
services:
  web: { build: ./web, networks: [front] }
  db: { image: mongo, volumes: ["data:/data/db"] }
  debug: { image: busybox, profiles: [debug] }
  off: { image: busybox, deploy: { replicas: 0 } }
networks:
  front: {}
  outside: { external: true }
volumes:
  data:
  shared: { external: { name: shared } }
`;

  it('knows the services a plain up starts', () => {
    expect(composeModel(file, 'docker-compose.yaml')).toEqual({ services: ['web', 'db'] });
  });

  it('says what is wrong with a file that is not a compose file', () => {
    expect(composeModel('services: [', 'c.yaml')).toMatchObject({
      failure: { message: expect.stringMatching(/^c\.yaml is not valid YAML: /) },
    });
    expect(composeModel('version: "3"\nvolumes: {}\n', 'c.yaml')).toEqual({
      failure: {
        message: 'c.yaml defines no services',
        expected: 'a top-level "services:" mapping',
        actual: 'top-level keys: version, volumes',
      },
    });
  });

  it('refuses a file that expands into a billion laughs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(',')}]`);
    }
    bomb.push('services: { app: { image: busybox } }');
    expect(composeModel(bomb.join('\n'), 'c.yaml')).toMatchObject({
      failure: { message: expect.stringMatching(/not valid YAML/) },
    });
  });
});

describe('compose files found as Compose v2 finds them', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  async function submission(files: string[]): Promise<string> {
    dir = await mkdtemp(path.join(os.tmpdir(), 'compose-files-'));
    for (const name of files)
      await writeFile(path.join(dir, name), `services:\n  ${name.replace(/\W/g, '-')}: { image: busybox }\n`);
    return dir;
  }

  async function found(files: string[], file?: string): Promise<string[]> {
    const result = await composeFiles(file === undefined ? {} : { file }, await submission(files));
    if ('failure' in result) throw new Error(result.failure.message);
    return result.all.map((one) => one.name);
  }

  it.each([
    [['docker-compose.yaml'], ['docker-compose.yaml']],
    [['docker-compose.yml'], ['docker-compose.yml']],
    [['docker-compose.yaml', 'compose.yaml'], ['compose.yaml']],
    [['docker-compose.yml', 'compose.yml'], ['compose.yml']],
    [['compose.yml', 'compose.yaml'], ['compose.yaml']],
    [['docker-compose.yaml', 'docker-compose.yml'], ['docker-compose.yml']],
    [
      ['compose.yaml', 'compose.override.yaml'],
      ['compose.yaml', 'compose.override.yaml'],
    ],
    [
      ['docker-compose.yaml', 'docker-compose.override.yml'],
      ['docker-compose.yaml', 'docker-compose.override.yml'],
    ],
    [
      ['compose.yaml', 'compose.override.yml', 'compose.override.yaml'],
      ['compose.yaml', 'compose.override.yml'],
    ],
  ])('%j: %j', async (files, expected) => {
    expect(await found(files)).toEqual(expected);
  });

  it('a file the step names is read alone, without the override', async () => {
    expect(
      await found(['docker-compose.yaml', 'compose.yaml', 'compose.override.yaml'], 'docker-compose.yaml'),
    ).toEqual(['docker-compose.yaml']);
  });

  it('an override file alone is no compose file', async () => {
    const result = await composeFiles({}, await submission(['compose.override.yaml']));
    expect(result).toEqual({
      failure: {
        message:
          'the submission has no compose file (looked for compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml, as docker compose does)',
      },
    });
  });

  it('the services of the override count: added ones, and profiles it sets', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'compose-files-'));
    await writeFile(
      path.join(dir, 'compose.yaml'),
      'services:\n  web: { image: busybox }\n  db: { image: redis }\n',
    );
    await writeFile(
      path.join(dir, 'compose.override.yaml'),
      'services:\n  db: { profiles: [later] }\n  cache: { image: redis }\n',
    );
    const files = await composeFiles({}, dir);
    if ('failure' in files) throw new Error(files.failure.message);
    expect(await readComposeModel(files)).toEqual({ services: ['web', 'cache'] });
  });
});

describe('script helpers', () => {
  it('formats commands as a student would type them', () => {
    expect(formatCommand(['sh', '-c', 'echo hi > /tmp/x'])).toBe('sh -c "echo hi > /tmp/x"');
    expect(formatCommand('echo $HOME')).toBe('echo $HOME');
  });
});

describe('why a timed-out script waits', () => {
  it('explains a docker run without -d, docker logs -f and docker wait', () => {
    expect(whyItWaits('docker run --name web -p 8080:80 nginx')).toBe(
      'without -d, docker run waits for the container to exit',
    );
    expect(whyItWaits('docker container run nginx')).toBe(
      'without -d, docker run waits for the container to exit',
    );
    expect(whyItWaits('docker logs -f web')).toBe('docker logs -f follows the log until the container stops');
    expect(whyItWaits('docker wait web')).toBe('docker wait waits for the container to exit');
  });

  it('says nothing it cannot tell', () => {
    expect(whyItWaits('docker run -d --name web nginx')).toBeUndefined();
    expect(whyItWaits('docker run -dit --name web nginx')).toBeUndefined();
    expect(whyItWaits('docker run --detach nginx')).toBeUndefined();
    expect(whyItWaits('sleep 600')).toBeUndefined();
  });
});

describe('refusals in a step failure', () => {
  it('names the first refusal and counts the others', () => {
    expect(refusalNote([])).toBe('');
    expect(refusalNote(['a', 'b', 'c'])).toBe('; refused by the grader: a (and 2 more)');
  });
});
