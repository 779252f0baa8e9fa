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
import { BUILD_LIMITS, CGROUP_ROOT } from '../../src/engine/build-profile';
import { RUN_LABEL } from '../../src/engine/labels';
import { type PolicyProxy, startPolicyProxy } from '../../src/proxy/index';
import {
  dockerThroughProxy,
  ENGINE_SOCKET,
  onEngine as engine,
  labelled,
  type Run,
  tempDir,
} from './helpers';
import { gradeInline, leftovers, removeTempDirs, describe as summary } from './steps-harness';

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
}

/**
 * Samples, every 20 ms until stopped, the build cgroups whose name starts with `prefix`
 * (build-profile.ts: docker-autograder-build-<run>-<random>) and the host's process count.
 */
function sampleBuilds(prefix: string): { stop: () => Sampled } {
  const sampled: Sampled = { buildMax: 0, hostMax: 0, limits: new Set() };
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
    }
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
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
    const graded = await gradeInline(
      `
version: 1
id: abuse/build-spawn
title: many processes in a build
steps:
  - build: { name: app, timeout: 60s }
checks:
  - name: the image exists
    image: { name: app }
    expect: { workdir: /srv }
`,
      {
        Dockerfile:
          'FROM busybox\nWORKDIR /srv\nRUN i=0; while [ $i -lt 600 ]; do sleep 20 & i=$((i+1)); done; echo started $i\n',
      },
      { prefix },
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
    // The build filled its limit, and never went past it.
    expect(sampled.buildMax).toBeGreaterThan(BUILD_LIMITS.pids - 20);
    expect(sampled.buildMax).toBeLessThanOrEqual(BUILD_LIMITS.pids);
    expect(await leftovers(graded.runId)).toEqual([]);
  });

  it('a fork bomb in a RUN step is bounded, the host keeps answering, and the grade is not forged', async () => {
    const prefix = `itgbuildbomb${randomBytes(3).toString('hex')}`;
    const before = hostProcesses();
    const sampler = sampleBuilds(`docker-autograder-build-itgsteps${prefix}`);
    const graded = await gradeInline(
      `
version: 1
id: abuse/build-bomb
title: fork bomb in a build
steps:
  - build: { name: app, timeout: 90s }
checks:
  - name: the image exists
    image: { name: app }
    expect: { workdir: /srv }
`,
      { Dockerfile: `FROM busybox\nWORKDIR /srv\n${FORK_BOMB}\n` },
      { prefix },
    );
    const sampled = sampler.stop();
    gradedRuns.push(graded.runId);
    // The bomb pushed against the limit, and never got past it.
    const shown = JSON.stringify({ ...sampled, before, limits: [...sampled.limits] });
    expect([...sampled.limits], shown).toEqual([String(BUILD_LIMITS.pids)]);
    expect(sampled.buildMax, shown).toBeGreaterThan(BUILD_LIMITS.pids - 20);
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

afterAll(async () => {
  removeTempDirs();
  for (const runId of gradedRuns) expect(await leftovers(runId)).toEqual([]);
});
