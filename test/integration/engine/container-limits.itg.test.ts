// The container check's memory, pidsLimit and pidMode on the real engine: what the student's
// `docker run -m ... --pids-limit ... --pid container:...` made, as the engine applies it.
import { afterAll, describe, expect, it } from 'vitest';
import { gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';

afterAll(removeTempDirs);

const EXERCISE = `version: 1
id: checks/container-limits
title: limits and namespaces
steps:
  - script: { file: run.sh, timeout: 60s }
checks:
  - name: limited's limits, as docker run -m writes them
    container: { name: limited }
    expect: { memory: 64m, pidsLimit: 32, pidMode: "" }
  - name: limited's memory as a size of the language
    container: { name: limited }
    expect: { memory: { min: 32MiB, max: 64MiB } }
  - name: peek shares limited's PID namespace
    container: { name: peek }
    expect: { pidMode: "container:limited" }
  - name: limited is not limited to 32m
    container: { name: limited }
    expect: { memory: 32m }
`;

const SCRIPT = `set -eu
docker run -d --name limited -m 64m --pids-limit 32 busybox sleep 600
docker run -d --name peek --pid container:limited busybox sleep 600
`;

describe('container check: memory, pidsLimit, pidMode', () => {
  it('reads the limits and the PID namespace the student asked for, by the names they gave', async () => {
    const graded = await gradeInline(EXERCISE, { 'run.sh': SCRIPT });
    const text = summary(graded);
    expect(graded.statuses, text).toEqual({
      "limited's limits, as docker run -m writes them": 'pass',
      "limited's memory as a size of the language": 'pass',
      "peek shares limited's PID namespace": 'pass',
      'limited is not limited to 32m': 'fail',
    });
    const miss = graded.exercise.checks.find((check) => check.name === 'limited is not limited to 32m');
    expect(miss?.expected).toBe(`equals ${32 * 1024 * 1024}`);
    expect(miss?.actual).toBe(`${64 * 1024 * 1024} (64 MiB)`);
    expect(await leftovers(graded.runId)).toEqual([]);
  }, 120_000);
});
