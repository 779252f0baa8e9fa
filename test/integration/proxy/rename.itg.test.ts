// `docker rename` in a student's script: the container is found under its new name and no longer
// under its old one, by checks and by the student's own later docker commands (the gate's
// translations). The name label written at create cannot change, so it must not decide.
import { afterAll, describe, expect, it } from 'vitest';
import { gradeInline, leftovers, removeTempDirs, summary } from '../../support/inline-grading';

afterAll(removeTempDirs);

const SCRIPT = `set -eu
docker run -d --name first busybox sleep 60
docker rename first second
echo "inspect second: $(docker inspect -f '{{.Name}}' second)"
docker inspect first >/dev/null 2>&1 || echo "inspect first: none"
echo "ps: $(docker ps --format '{{.Names}}' | grep -v '^client-' | tr '\\n' ' ')"
echo "ps name=second: $(docker ps --filter name=second --format '{{.Names}}' | tr '\\n' ' ')"
echo "ps name=first: $(docker ps --filter name=first --format '{{.Names}}' | tr '\\n' ' ')"
echo "ps name=t: $(docker ps --filter name=t --format '{{.Names}}' | grep -v '^client-' | tr '\\n' ' ')"
# --until: the end of the next second, so that this second's rename is in the past.
echo "events: $(docker events --since 10m --until "$(( $(date +%s) + 1 ))" --filter container=second --filter event=rename --format '{{.Action}} {{.Actor.Attributes.name}}')"
docker network create alpha >/dev/null
docker volume create alpha >/dev/null
echo "network ls name=t: $(docker network ls --filter name=t --format '{{.Name}}' | tr '\\n' ' ')"
echo "network ls name=^al: $(docker network ls --filter name=^al --format '{{.Name}}' | tr '\\n' ' ')"
echo "volume ls name=t: $(docker volume ls --filter name=t --format '{{.Name}}' | tr '\\n' ' ')"
echo "volume ls name=alpha: $(docker volume ls --filter name=alpha --format '{{.Name}}' | tr '\\n' ' ')"
echo "ps name=^/second$: $(docker ps --filter 'name=^/second$' --format '{{.Names}}' | tr '\\n' ' ')"
`;

const EXERCISE = `version: 1
id: proxy/rename
title: rename
steps:
  - script: { file: run.sh }
checks:
  - name: the new name finds it
    container: { name: second }
    expect: { exists: true, running: true }
  - name: the old name finds nothing
    container: { name: first }
    expect: { exists: true }
  - name: commands reach it by the new name
    exec: { container: second, command: [echo, reached] }
    expect: { stdout: reached }
`;

describe('docker rename in a student script', () => {
  it('finds the container under its new name only, in checks and in later commands', async () => {
    const graded = await gradeInline(EXERCISE, { 'run.sh': SCRIPT }, { prefix: 'rename' });
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.statuses['the new name finds it'], summary(graded)).toBe('pass');
    expect(graded.statuses['commands reach it by the new name'], summary(graded)).toBe('pass');
    const old = graded.exercise.checks.find((check) => check.name === 'the old name finds nothing');
    expect(old?.status, summary(graded)).toBe('fail');
    expect(JSON.stringify(old), summary(graded)).toMatch(/exists/);

    const output = graded.log.filter((line) => line.startsWith('| '));
    expect(output).toContain('| inspect second: /second');
    expect(output).toContain('| inspect first: none');
    expect(output).toContain('| ps: second ');
    expect(output).toContain('| ps name=second: second ');
    expect(output).toContain('| ps name=first: ');
    // The engine's names start with the run's scope ("itgsteps..."): no "t" in "second".
    expect(output).toContain('| ps name=t: ');
    expect(output).toContain('| ps name=^/second$: second ');
    expect(output).toContain('| events: rename second');
    expect(output).toContain('| network ls name=t: ');
    expect(output).toContain('| network ls name=^al: alpha ');
    expect(output).toContain('| volume ls name=t: ');
    expect(output).toContain('| volume ls name=alpha: alpha ');
    expect(await leftovers(graded.runId)).toEqual([]);
  });
});
