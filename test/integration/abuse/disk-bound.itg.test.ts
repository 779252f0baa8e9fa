// The disk a container may write (issue 13, deliverable 7), on the real engine through grade():
// this engine's overlay2 cannot bound a writable layer while it is written, so the grader reads
// the layers' sizes while a script step runs and kills a container past the bound (set small
// here, DOCKER_AUTOGRADER_CONTAINER_DISK_MIB), with the reason in the step's failure: the
// student's failure (the exercise fails), never an engine error. A container that writes less
// is left alone.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTAINER_DISK_ENV } from '../../../src/proxy/budget';
import { abuseExercise, Gradings, printed, script } from '../../support/abuse-grading';
import { type Graded, summary } from '../../support/inline-grading';

const BOUND_MIB = 48;
const gradings = new Gradings();

afterAll(() => gradings.stop());

beforeEach(() => {
  process.env[CONTAINER_DISK_ENV] = String(BOUND_MIB);
});
afterEach(() => {
  delete process.env[CONTAINER_DISK_ENV];
});

/** The script's last command. */
const DONE = 'docker create --name done busybox true >/dev/null';

/**
 * Grades the exercise `abuse/<id>` whose one step is the script `fill.sh` of these lines, then
 * DONE: its check (the container DONE makes exists) fails when the step was ended before.
 */
function gradeFill(id: string, prefix: string, lines: string[]): Promise<Graded> {
  const exercise = abuseExercise(
    id,
    ['  - script: { file: fill.sh, timeout: 3m }'],
    ['  - name: the script got to its end', '    container: { name: done }', '    expect: { exists: true }'],
  );
  return gradings.grade(exercise, { 'fill.sh': script(...lines, DONE) }, { prefix });
}

/** A container `name` that writes `mib` MiB to its own filesystem, then stays. */
function writer(name: string, mib: number): string {
  return `docker run -d --name ${name} busybox sh -c 'dd if=/dev/zero of=/fill bs=1M count=${mib} 2>/dev/null; sleep 600' >/dev/null`;
}

describe('the disk a container may write', { timeout: 5 * 60_000 }, () => {
  it('a container writing past the bound is killed, and the step fails with the reason as the student’s', async () => {
    const graded = await gradeFill('disk-filler', 'adb', [
      'set -u',
      // Four times the bound, then it would stay: only the grader's kill ends it.
      writer('filler', 4 * BOUND_MIB),
      'echo FILLER-STARTED',
      // Waits for the container to stop; the grader ends the step right after it killed it.
      'docker wait filler >/dev/null',
      'sleep 60',
      'echo SCRIPT-WENT-ON',
    ]);
    expect(printed(graded)).toContain('FILLER-STARTED');
    expect(printed(graded)).not.toContain('SCRIPT-WENT-ON');
    // The student's failure, with what to do: not an engine error (exit 3).
    expect(graded.exercise.status, summary(graded)).toBe('fail');
    expect(graded.exercise.setupError).toMatch(
      new RegExp(
        `^fill\\.sh exited with code 137, expected exit code 0; refused by the grader: container filler: it wrote \\d+ MiB to its own filesystem, more than the ${BOUND_MIB} MiB a container may write, and was stopped \\(killed\\): write less`,
      ),
    );
    const wrote = Number(/it wrote (\d+) MiB/.exec(graded.exercise.setupError ?? '')?.[1]);
    expect(wrote).toBeGreaterThan(BOUND_MIB);
    expect(graded.log.some((line) => /refused by the grader: container filler: it wrote/.test(line))).toBe(
      true,
    );
  });

  it('the step’s own container writing past the bound is stopped the same way', async () => {
    const graded = await gradeFill('disk-client', 'adc', [
      'set -u',
      `dd if=/dev/zero of=/tmp/fill bs=1M count=${4 * BOUND_MIB} 2>/dev/null`,
      'echo WRITTEN',
      'sleep 120',
      'echo SCRIPT-WENT-ON',
    ]);
    expect(printed(graded)).not.toContain('SCRIPT-WENT-ON');
    expect(graded.exercise.status, summary(graded)).toBe('fail');
    expect(graded.exercise.setupError).toMatch(
      /^fill\.sh exited with code 137, expected exit code 0; refused by the grader: the step's own container \(the script and its docker commands\): it wrote \d+ MiB to its own filesystem/,
    );
  });

  it('a container writing less than the bound is left alone, and the grade is the script’s', async () => {
    const graded = await gradeFill('disk-small', 'ads', [
      'set -eu',
      writer('small', BOUND_MIB / 4),
      // Long enough for the watch to read the layer more than once.
      'sleep 12',
      'echo "SMALL $(docker inspect small --format {{.State.Status}})"',
    ]);
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.exercise.status).toBe('pass');
    expect(printed(graded)).toContain('SMALL running');
  });
});
