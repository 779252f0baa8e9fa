import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUILD_LIMITS,
  buildLimitParameters,
  cgroupParentPossible,
  openBuildCgroup,
} from '../../../src/engine/rules/build-profile';
import {
  dockerfileRefusals,
  expand,
  type ImageStanding,
  imageStanding,
  readDockerfile,
  referenceRefusal,
  registryHostOf,
  registryHostRefusal,
  resolvedHostRefusal,
  serverAddressHost,
} from '../../../src/engine/rules/build-rules';
import { RUN_LABEL, SCOPE_LABEL } from '../../../src/naming/labels';

describe('registry hosts', () => {
  it.each([
    ['busybox', undefined],
    ['library/busybox:1.36', undefined],
    ['someone/app', undefined],
    ['ghcr.io/someone/app:1', 'ghcr.io'],
    ['127.0.0.1:5000/x', '127.0.0.1'],
    ['localhost/x', 'localhost'],
    ['[::1]:5000/x:tag', '::1'],
    ['Registry.Example.com:443/a/b@sha256:abc', 'registry.example.com'],
  ])('the registry of %s is %s', (reference, host) => {
    expect(registryHostOf(reference)).toBe(host);
  });

  it.each([
    '127.0.0.1',
    '127.9.9.9',
    'localhost',
    'api.localhost',
    '::1',
    '::',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '127.1',
    '2130706433',
    '0x7f000001',
    '017700000001',
    'registry',
    'host.docker.internal',
    'printer.local',
  ])('refuses %s', (host) => {
    expect(registryHostRefusal(host)).toMatch(
      /the registry .* is .*: the engine may only contact public registries/,
    );
  });

  it.each([
    undefined,
    'docker.io',
    'ghcr.io',
    'quay.io',
    'registry.example.com',
    '8.8.8.8',
    '2001:4860::8888',
    '172.32.0.1',
  ])('lets %s be', (host) => {
    expect(registryHostRefusal(host)).toBeUndefined();
  });

  it('reads the host of a login server address', () => {
    expect(serverAddressHost('http://127.0.0.1:5000/v1/')).toBe('127.0.0.1');
    expect(serverAddressHost('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(serverAddressHost('localhost:5000')).toBe('localhost');
    expect(serverAddressHost('https://user@[::1]:443/')).toBe('::1');
  });

  it('refuses the reference of a pull from a loopback registry, and lets a Hub image be', () => {
    expect(referenceRefusal('127.0.0.1:41234/secret/app:1')).toMatch(/127\.0\.0\.1/);
    expect(referenceRefusal('busybox:latest')).toBeUndefined();
  });

  it('refuses a name that resolves to a private address, and lets a public one be', async () => {
    const lookup = async (host: string): Promise<string[]> =>
      host === 'rebind.example.com' ? ['93.184.216.34', '127.0.0.1'] : ['93.184.216.34'];
    expect(await resolvedHostRefusal('rebind.example.com', lookup)).toMatch(/resolves to 127\.0\.0\.1/);
    expect(await resolvedHostRefusal('registry.example.com', lookup)).toBeUndefined();
    expect(await resolvedHostRefusal('127.0.0.1', lookup)).toMatch(/loopback/);
  });
});

describe('reading a Dockerfile before the build', () => {
  it('refuses ADD from a URL, with the Dockerfile line', () => {
    const reading = readDockerfile(
      'FROM busybox\nWORKDIR /srv\nADD http://127.0.0.1:8080/secret /srv/secret\n',
    );
    expect(reading.refusals).toEqual([
      expect.stringMatching(
        /^Dockerfile line 3 \(ADD http:\/\/127\.0\.0\.1:8080\/secret \/srv\/secret\): ADD from a URL is not allowed/,
      ),
    ]);
  });

  it('refuses ADD of a URL in JSON form, behind flags, or given by an ARG', () => {
    const text = [
      'FROM busybox',
      'ADD ["https://example.com/a", "/a"]',
      'ADD --chown=1:1 ftp://example.com/b /b',
      'ARG WHERE=http://10.0.0.1/c',
      'ADD $WHERE /c',
      'ADD ${MISSING} /d',
    ].join('\n');
    const lines = readDockerfile(text).refusals.map((refusal) => /line (\d+)/.exec(refusal)?.[1]);
    expect(lines).toEqual(['2', '3', '5', '6']);
  });

  it('lets ADD and COPY of local files be', () => {
    expect(readDockerfile('FROM busybox\nADD app.tar.gz /srv/\nCOPY . /srv\n').refusals).toEqual([]);
  });

  it('lists the images a build reads: not stages, not scratch, build arguments substituted', () => {
    const text = [
      'ARG BASE=debian:bookworm-slim',
      'ARG TAG',
      'FROM $BASE AS build',
      'FROM busybox:${TAG:-1.36} AS second',
      'COPY --from=build /a /a',
      'COPY --from=0 /b /b',
      'COPY --from=nginx:latest /etc/nginx /etc/nginx',
      'FROM scratch',
      'COPY --from=second /c /c',
    ].join('\n');
    const reading = readDockerfile(text, { BASE: 'python:3.11-slim' });
    expect(reading.refusals).toEqual([]);
    expect(reading.images.map((image) => [image.reference, image.line])).toEqual([
      ['python:3.11-slim', 3],
      ['busybox:1.36', 4],
      ['nginx:latest', 7],
    ]);
  });

  it('refuses a FROM whose image a build argument without a value would decide', () => {
    const reading = readDockerfile('ARG BASE\nFROM ${BASE}\n');
    expect(reading.refusals).toEqual([
      expect.stringMatching(/^Dockerfile line 2 .*cannot be resolved before the build/),
    ]);
    expect(readDockerfile('ARG BASE\nFROM ${BASE}\n', { BASE: 'busybox' }).refusals).toEqual([]);
  });

  it('expands variables like the builder, and says when it cannot', () => {
    expect(expand('$A-${B}-${C:-c}-${A:+set}', { A: 'a', B: 'b' })).toBe('a-b-c-set');
    expect(expand('${NOPE}', {})).toBeUndefined();
    expect(expand('plain', {})).toBe('plain');
  });

  it('refuses, for each image read, a private registry or another run’s image', async () => {
    const standings: Record<string, ImageStanding> = {
      'busybox:latest': 'base',
      'docker-autograder/other-run-app:latest': 'foreign',
    };
    const refusals = await dockerfileRefusals(
      'FROM busybox:latest\nFROM docker-autograder/other-run-app:latest\nFROM 127.0.0.1:5000/app\n',
      { standing: async (reference) => standings[reference] ?? 'missing' },
    );
    expect(refusals).toEqual([
      expect.stringMatching(
        /^Dockerfile line 2 \(FROM docker-autograder\/other-run-app:latest\): .*another grading/,
      ),
      expect.stringMatching(
        /^Dockerfile line 3 \(FROM 127\.0\.0\.1:5000\/app\): the registry "127\.0\.0\.1"/,
      ),
    ]);
  });
});

describe('whose an image is', () => {
  const run = { runId: 'run-a' };
  it('an image labelled with the run is its own, with another run foreign', () => {
    expect(imageStanding({ labels: { [RUN_LABEL]: 'run-a' }, repoTags: [] }, run)).toBe('own');
    expect(imageStanding({ labels: { [RUN_LABEL]: 'run-b' }, repoTags: ['x:1'] }, run)).toBe('foreign');
  });

  it('within a scope, another scope of the same run is foreign', () => {
    const labels = { [RUN_LABEL]: 'run-a', [SCOPE_LABEL]: 'run-a-2' };
    expect(imageStanding({ labels, repoTags: [] }, { runId: 'run-a', scope: 'run-a-1' })).toBe('foreign');
    expect(imageStanding({ labels, repoTags: [] }, { runId: 'run-a', scope: 'run-a-2' })).toBe('own');
  });

  it("unlabelled: the run's own tags are its own, only other runs' tags or none are foreign, any other name is a base", () => {
    expect(imageStanding({ labels: {}, repoTags: ['docker-autograder/run-a-1-app:latest'] }, run)).toBe(
      'own',
    );
    expect(imageStanding({ labels: {}, repoTags: ['docker-autograder/run-b-1-app:latest'] }, run)).toBe(
      'foreign',
    );
    expect(imageStanding({ labels: {}, repoTags: [] }, run)).toBe('foreign');
    expect(imageStanding({ labels: {}, repoTags: ['busybox:latest'] }, run)).toBe('base');
    expect(
      imageStanding(
        { labels: {}, repoTags: ['busybox:latest', 'docker-autograder/run-b-1-app:latest'] },
        run,
      ),
    ).toBe('base');
    expect(imageStanding(undefined, run)).toBe('missing');
  });
});

describe('the build profile', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('asks /build for the memory, CPU, shm and ulimits of the profile, the default network and the cgroup', () => {
    const query = buildLimitParameters(BUILD_LIMITS, '/held');
    expect(query).toMatchObject({
      memory: String(512 * 1024 * 1024),
      memswap: String(512 * 1024 * 1024),
      cpuperiod: '100000',
      cpuquota: '100000',
      networkmode: 'default',
      cgroupparent: '/held',
    });
    expect(JSON.parse(query.ulimits ?? '[]')).toEqual(BUILD_LIMITS.ulimits);
    expect(buildLimitParameters(BUILD_LIMITS)).not.toHaveProperty('cgroupparent');
  });

  it('makes a cgroup parent only for cgroup v1 with cgroupfs on this machine', () => {
    expect(cgroupParentPossible({ driver: 'cgroupfs', version: '1', onThisMachine: true })).toBe(true);
    expect(cgroupParentPossible({ driver: 'systemd', version: '1', onThisMachine: true })).toBe(false);
    expect(cgroupParentPossible({ driver: 'cgroupfs', version: '2', onThisMachine: true })).toBe(false);
    expect(cgroupParentPossible({ driver: 'cgroupfs', version: '1', onThisMachine: false })).toBe(false);
  });

  it('writes the limits in each hierarchy, and removes the cgroup when closed', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'cgroup-root-'));
    roots.push(root);
    for (const hierarchy of ['pids', 'memory', 'cpu']) {
      mkdirSync(path.join(root, hierarchy));
      writeFileSync(path.join(root, hierarchy, 'cgroup.procs'), '');
    }
    const cgroup = await openBuildCgroup('docker-autograder-build-test', BUILD_LIMITS, root);
    expect(cgroup?.parent).toBe('/docker-autograder-build-test');
    const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
    expect(read('pids/docker-autograder-build-test/pids.max')).toBe(String(BUILD_LIMITS.pids));
    expect(read('memory/docker-autograder-build-test/memory.limit_in_bytes')).toBe(
      String(BUILD_LIMITS.memory),
    );
    expect(read('cpu/docker-autograder-build-test/cpu.cfs_quota_us')).toBe('100000');
    // A real cgroup's files vanish with it; a plain folder needs them gone first.
    for (const hierarchy of ['pids', 'memory', 'cpu']) {
      const directory = path.join(root, hierarchy, 'docker-autograder-build-test');
      for (const file of readdirSync(directory)) rmSync(path.join(directory, file));
    }
    await cgroup?.close();
    expect(readdirSync(path.join(root, 'pids'))).toEqual(['cgroup.procs']);
  });

  it('gives no cgroup where the hierarchies are missing, and leaves nothing behind', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'cgroup-none-'));
    roots.push(root);
    mkdirSync(path.join(root, 'pids'));
    writeFileSync(path.join(root, 'pids', 'cgroup.procs'), '');
    expect(await openBuildCgroup('docker-autograder-build-none', BUILD_LIMITS, root)).toBeUndefined();
    expect(readdirSync(path.join(root, 'pids'))).toEqual(['cgroup.procs']);
  });
});
