// Builds held to the profile (issue 13, deliverable 2), on the real engine: the grader's own
// `build:` steps and builds a student's script makes through the policy proxy. Each case asserts
// the safe outcome: a bound that held (read from the build's cgroup while it ran), a refusal
// before the engine did anything, a secret that never appears, a grade that is not forged.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_LIMITS, CGROUP_ROOT } from '../../../src/engine/rules/build-profile';
import { RUN_LABEL } from '../../../src/naming/labels';
import type { PolicyProxy } from '../../../src/proxy/index';
import { gradeBuild, leftovers, removeTempDirs, summary } from '../../support/inline-grading';
import {
  dockerThroughProxy,
  onEngine as engine,
  labelled,
  type Run,
  tempDir,
} from '../../support/integration';
import { startProxyOnEngine } from '../../support/proxy-on-engine';

const gradedRuns: string[] = [];

/** Processes on the host now (every numeric entry of /proc). */
function hostProcesses(): number {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).length;
}

interface Sampled {
  /** The most processes any matching build cgroup held at once. */
  buildMax: number;
  /** The most processes on the host at once. */
  hostMax: number;
  /** The build cgroups' pids.max values seen while they held processes. */
  limits: Set<string>;
  /**
   * The forks the build cgroups' limit refused (pids.events, "max N"): the kernel's own count, so
   * that the limit's effect is known whatever moments a sampler on a loaded machine catches.
   */
  refusedForks: number;
}

/**
 * Samples, every 20 ms until stopped, the build cgroups whose name starts with `prefix`
 * (build-profile.ts: docker-autograder-build-<run>-<random>) and the host's process count.
 */
function sampleBuilds(prefix: string): { stop: () => Sampled } {
  const sampled: Sampled = { buildMax: 0, hostMax: 0, limits: new Set(), refusedForks: 0 };
  // The kernel counts a refused fork in the cgroup of the process that forked (a RUN step's
  // container, below the build's cgroup), not in the one whose limit refused it: every cgroup
  // of the build is read, and each one's count kept, as they go when their container does.
  const refusedIn = new Map<string, number>();
  const pidsRoot = path.join(CGROUP_ROOT, 'pids');
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const timer = setInterval(() => {
    sampled.hostMax = Math.max(sampled.hostMax, hostProcesses());
    for (const name of readdirSync(pidsRoot).filter((entry) => entry.startsWith(prefix))) {
      const current = read(path.join(pidsRoot, name, 'pids.current'));
      const max = read(path.join(pidsRoot, name, 'pids.max'));
      if (current !== undefined) sampled.buildMax = Math.max(sampled.buildMax, Number(current));
      // The limit as it held processes (a cgroup is made, then its limit written, before the build).
      if (max !== undefined && Number(current) > 0) sampled.limits.add(max);
      const cgroup = path.join(pidsRoot, name);
      let children: string[] = [];
      try {
        children = readdirSync(cgroup, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => path.join(cgroup, entry.name));
      } catch {
        // Gone with its build.
      }
      for (const dir of [cgroup, ...children]) {
        const refused = /^max (\d+)$/m.exec(read(path.join(dir, 'pids.events')) ?? '');
        if (refused !== null) refusedIn.set(dir, Math.max(refusedIn.get(dir) ?? 0, Number(refused[1])));
      }
    }
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      sampled.refusedForks = [...refusedIn.values()].reduce((sum, count) => sum + count, 0);
      return sampled;
    },
  };
}

/** A fork bomb that keeps the RUN step alive a few seconds, then fails it. */
const FORK_BOMB = 'RUN bomb() { bomb | bomb & }; bomb; sleep 6; echo bomb-over; exit 1';

const available = existsSync(path.join(CGROUP_ROOT, 'pids', 'cgroup.procs'));

describe.skipIf(!available)("the grader's own build: step", () => {
  it('a RUN step starting 600 processes is stopped at the build limit, with the reason', async () => {
    const prefix = `itgbuildspawn${randomBytes(3).toString('hex')}`;
    const sampler = sampleBuilds(`docker-autograder-build-itgsteps${prefix}`);
    const graded = await gradeBuild(
      'abuse/build-spawn',
      'FROM busybox\nWORKDIR /srv\nRUN i=0; while [ $i -lt 600 ]; do sleep 20 & i=$((i+1)); done; echo started $i\n',
      { timeout: '60s', prefix },
    );
    const sampled = sampler.stop();
    gradedRuns.push(graded.runId);
    expect(graded.exercise.setupError, summary(graded)).toMatch(/did not build/);
    expect(graded.exercise.setupError).toMatch(
      new RegExp(`a fork failed: the build may run at most ${BUILD_LIMITS.pids} processes at once`),
    );
    expect(`${graded.exercise.setupLog}`).toMatch(/can't fork|Resource temporarily unavailable/);
    expect(graded.statuses['the image exists']).toBe('fail');
    expect([...sampled.limits]).toEqual([String(BUILD_LIMITS.pids)]);
    // A fork failed (the log above) with the host's process ids to spare, while the build's
    // cgroup held its processes under the limit of 256 (sampled.limits): that limit refused it.
    // The shell ends at its first failed fork and its container with it, too soon for a 20 ms
    // sampler on a loaded machine to be sure of catching the count or the peak.
    expect(sampled.buildMax).toBeGreaterThan(0);
    expect(sampled.buildMax).toBeLessThanOrEqual(BUILD_LIMITS.pids);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('a fork bomb in a RUN step is bounded, the host keeps answering, and the grade is not forged', async () => {
    const prefix = `itgbuildbomb${randomBytes(3).toString('hex')}`;
    const before = hostProcesses();
    const sampler = sampleBuilds(`docker-autograder-build-itgsteps${prefix}`);
    const graded = await gradeBuild('abuse/build-bomb', `FROM busybox\nWORKDIR /srv\n${FORK_BOMB}\n`, {
      timeout: '90s',
      prefix,
    });
    const sampled = sampler.stop();
    gradedRuns.push(graded.runId);
    // The bomb pushed against the limit (the kernel refused its forks there), and never got past
    // it. Its processes are short-lived, so how many a 20 ms sampler catches at once depends on
    // the machine's load: the kernel's count of refused forks is the evidence, not the sample.
    const shown = JSON.stringify({ ...sampled, before, limits: [...sampled.limits] });
    expect([...sampled.limits], shown).toEqual([String(BUILD_LIMITS.pids)]);
    expect(sampled.refusedForks, shown).toBeGreaterThan(0);
    expect(sampled.buildMax, shown).toBeLessThanOrEqual(BUILD_LIMITS.pids);
    // Other work shares this host: what the bomb added stays within its limit (plus slack for it).
    expect(sampled.hostMax).toBeLessThan(before + BUILD_LIMITS.pids + 400);
    expect(graded.exercise.setupError, summary(graded)).toMatch(/did not build/);
    expect(graded.exercise.setupError).toMatch(/a fork failed: the build may run at most/);
    expect(graded.statuses['the image exists']).toBe('fail');
    // The host and its engine still answer.
    expect(await engine(['version', '--format', '{{.Server.Version}}'])).not.toBe('');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// A server on the runner's loopback, holding a secret, that counts every connection made to it.

const SECRET = `runner-secret-${randomBytes(8).toString('hex')}`;
let secretServer: http.Server;
let secretPort = 0;
let connections = 0;

/** Another run's images on the engine: one the grader built (unlabelled, its tag), one labelled. */
const otherRun = `itgotherrun${randomBytes(3).toString('hex')}`;
const otherGraderImage = `docker-autograder/${otherRun}-1-app:latest`;
const otherLabelledImage = `itg-other-run-${randomBytes(3).toString('hex')}:latest`;

const proxyRunId = `abuse-builds-${randomBytes(4).toString('hex')}`;
const proxyScope = `${proxyRunId}-1`;
let proxy: PolicyProxy;
let submission: string;
let socketDir: string;

function docker(args: string[]): Promise<Run> {
  return dockerThroughProxy(proxy.socketPath, socketDir, args, { cwd: submission, timeoutMs: 150_000 });
}

function writeSubmission(files: Record<string, string>): void {
  for (const entry of readdirSync(submission)) rmSync(path.join(submission, entry), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(submission, name), content);
}

beforeAll(async () => {
  secretServer = http.createServer((_request, response) => response.end(SECRET));
  secretServer.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => secretServer.listen(0, '127.0.0.1', resolve));
  secretPort = (secretServer.address() as AddressInfo).port;
  const context = tempDir('abuse-builds-other');
  writeFileSync(path.join(context, 'Dockerfile'), 'FROM busybox\nRUN echo other-run > /owner\n');
  await engine(['build', '-q', '-t', otherGraderImage, context]);
  await engine(['build', '-q', '--label', `${RUN_LABEL}=${otherRun}`, '-t', otherLabelledImage, context]);
  rmSync(context, { recursive: true, force: true });
  submission = tempDir('abuse-builds-submission');
  socketDir = tempDir('abuse-builds-socket');
  proxy = await startProxyOnEngine({ runId: proxyRunId, scope: proxyScope, submission, socketDir });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => secretServer?.close(() => resolve()));
  await engine(['rmi', otherGraderImage, otherLabelledImage]).catch(() => undefined);
  const images = (await engine(['images', '-q', '--filter', `label=${RUN_LABEL}=${proxyRunId}`]))
    .split('\n')
    .filter(Boolean);
  if (images.length > 0) await engine(['rmi', '-f', ...new Set(images)]);
  rmSync(submission, { recursive: true, force: true });
  rmSync(socketDir, { recursive: true, force: true });
  removeTempDirs();
  expect(await labelled(`${RUN_LABEL}=${proxyRunId}`)).toEqual([]);
  for (const runId of gradedRuns) expect(await leftovers(runId)).toEqual([]);
});

describe.skipIf(!available)('a build through the proxy', () => {
  it('a fork bomb in a RUN step is bounded, and the host keeps answering', async () => {
    writeSubmission({ Dockerfile: `FROM busybox\n${FORK_BOMB}\n` });
    const before = hostProcesses();
    const safeRun = proxyRunId.toLowerCase();
    const sampler = sampleBuilds(`docker-autograder-build-${safeRun}`);
    const built = await docker(['build', '-t', 'bomb', '.']);
    const sampled = sampler.stop();
    const shown = JSON.stringify({
      ...sampled,
      before,
      limits: [...sampled.limits],
      stderr: built.stderr.slice(-500),
    });
    expect(built.code, shown).not.toBe(0);
    expect(`${built.stdout}${built.stderr}`).toMatch(/can't fork|Resource temporarily unavailable/);
    expect([...sampled.limits], shown).toEqual([String(BUILD_LIMITS.pids)]);
    expect(sampled.refusedForks, shown).toBeGreaterThan(0);
    expect(sampled.buildMax, shown).toBeLessThanOrEqual(BUILD_LIMITS.pids);
    expect(sampled.hostMax).toBeLessThan(before + BUILD_LIMITS.pids + 400);
    expect((await docker(['images', '-q', 'bomb'])).stdout.trim()).toBe('');
    expect(await engine(['version', '--format', '{{.Server.Version}}'])).not.toBe('');
    // The cgroup went with the build.
    expect(readdirSync(path.join(CGROUP_ROOT, 'pids')).filter((name) => name.includes(safeRun))).toEqual([]);
  });
});

describe("ADD of a URL on the runner's loopback", () => {
  it('a build: step is refused with the Dockerfile line, the engine never fetched it, the secret appears nowhere', async () => {
    const before = connections;
    const url = `http://127.0.0.1:${secretPort}/secret`;
    const graded = await gradeBuild(
      'abuse/build-add-url',
      `FROM busybox\nWORKDIR /srv\nADD ${url} /srv/secret\nRUN cat /srv/secret\n`,
    );
    gradedRuns.push(graded.runId);
    expect(graded.exercise.setupError, summary(graded)).toMatch(
      new RegExp(
        `Dockerfile line 3 \\(ADD ${url.replace(/[.]/g, '\\.')} /srv/secret\\): ADD from a URL is not allowed`,
      ),
    );
    expect(graded.statuses['the image exists']).toBe('fail');
    expect(JSON.stringify(graded)).not.toContain(SECRET);
    expect(connections).toBe(before);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('a build through the proxy is refused before the engine reads the context', async () => {
    const before = connections;
    writeSubmission({
      Dockerfile: `FROM busybox\nADD http://127.0.0.1:${secretPort}/secret /secret\nRUN cat /secret\n`,
    });
    const built = await docker(['build', '-t', 'fetcher', '.']);
    expect(built.code).not.toBe(0);
    expect(built.stderr).toMatch(
      /refused by the grader: Dockerfile line 2 \(ADD http:\/\/127\.0\.0\.1:\d+\/secret \/secret\): ADD from a URL is not allowed/,
    );
    expect(`${built.stdout}${built.stderr}`).not.toContain(SECRET);
    expect(connections).toBe(before);
    expect((await docker(['images', '-q', 'fetcher'])).stdout.trim()).toBe('');
  });
});

describe("another run's images", () => {
  it.each([
    ['its grader-built image, by tag', () => otherGraderImage],
    ['its labelled image, by tag', () => otherLabelledImage],
  ])('a build: step FROM %s is refused', async (_what, image) => {
    const graded = await gradeBuild('abuse/build-from-foreign', `FROM ${image()}\nWORKDIR /srv\n`);
    gradedRuns.push(graded.runId);
    expect(graded.exercise.setupError, summary(graded)).toMatch(
      /Dockerfile line 1 \(FROM .*\): .*belongs to another grading/,
    );
    expect(graded.statuses['the image exists']).toBe('fail');
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('a build: step FROM its image id, or through a build argument, is refused', async () => {
    const id = await engine(['image', 'inspect', '--format', '{{.Id}}', otherGraderImage]);
    for (const dockerfile of [`FROM ${id}\n`, `ARG BASE=${otherGraderImage}\nFROM $BASE\n`]) {
      const graded = await gradeBuild('abuse/build-from-foreign-id', dockerfile, { workdir: '/' });
      gradedRuns.push(graded.runId);
      expect(graded.exercise.setupError, summary(graded)).toMatch(/belongs to another grading/);
    }
  });

  it('a build through the proxy FROM it is refused, and one FROM a base image builds', async () => {
    writeSubmission({ Dockerfile: `FROM ${otherGraderImage}\nRUN cat /owner\n` });
    const refused = await docker(['build', '-t', 'borrowed', '.']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/refused by the grader: Dockerfile line 1 .*belongs to another grading/);
    expect(refused.stdout).not.toContain('other-run');
    writeSubmission({ Dockerfile: 'FROM busybox\nRUN echo own > /owner\n' });
    const built = await docker(['build', '-t', 'mine', '.']);
    expect(built.code, built.stderr).toBe(0);
  });
});

describe('network mode and registries', () => {
  it('a build through the proxy on the host network is refused', async () => {
    writeSubmission({ Dockerfile: 'FROM busybox\nRUN echo hi\n' });
    const built = await docker(['build', '--network', 'host', '-t', 'hostnet', '.']);
    expect(built.code).not.toBe(0);
    expect(built.stderr).toMatch(/refused by the grader: build network host is not allowed/);
    expect((await docker(['images', '-q', 'hostnet'])).stdout.trim()).toBe('');
  });

  it('a pull, login and search on a loopback registry are refused without the engine connecting', async () => {
    const before = connections;
    const pulled = await docker(['pull', `127.0.0.1:${secretPort}/secret/app:1`]);
    expect(pulled.code).not.toBe(0);
    expect(pulled.stderr).toMatch(/refused by the grader: the registry "127\.0\.0\.1" is a loopback/);
    const login = await docker(['login', '-u', 'x', '-p', 'y', `127.0.0.1:${secretPort}`]);
    expect(login.code).not.toBe(0);
    expect(`${login.stdout}${login.stderr}`).not.toMatch(/Login Succeeded/);
    expect(login.stderr).toMatch(/refused by the grader: the registry/);
    const searched = await docker(['search', `localhost:${secretPort}/secret`]);
    expect(searched.code).not.toBe(0);
    expect(searched.stderr).toMatch(/refused by the grader: the registry "localhost"/);
    expect(connections).toBe(before);
  });

  it('a build: step FROM a loopback registry is refused without the engine connecting', async () => {
    const before = connections;
    const graded = await gradeBuild(
      'abuse/build-from-loopback',
      `FROM 127.0.0.1:${secretPort}/secret/app:1\n`,
      { workdir: '/' },
    );
    gradedRuns.push(graded.runId);
    expect(graded.exercise.setupError, summary(graded)).toMatch(/the registry "127\.0\.0\.1" is a loopback/);
    expect(connections).toBe(before);
  });
});
