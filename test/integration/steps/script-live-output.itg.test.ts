// A student's script shows its output while it runs: each line reaches the progress log as it is
// printed, not when the script ends. Proven without timing: the script blocks until the test has
// seen its first line, and only the test, on seeing it, lets it go on. Its last line, without a
// newline, is there too (the engine may end a follow before it reached the log).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import { grade } from '../../../src/grading/grade';
import { parseExercise } from '../../../src/spec/load';
import { leftovers, removeTempDirs, submissionDir, uniqueRunId } from '../../support/inline-grading';

afterAll(removeTempDirs);

const SCRIPT = `echo "waiting for the go file"
while [ ! -e go ]; do sleep 0.1; done
echo "went on"
printf "last words without a newline"
`;

const EXERCISE = `version: 1
id: steps/live-output
title: live output
steps:
  - script: { file: run.sh, timeout: 20s }
checks:
  - name: busybox is there
    image: { name: busybox }
    expect: { cmd: { contains: sh } }
`;

describe('script output', () => {
  it('reaches the progress log line by line while the script runs', { timeout: 60_000 }, async () => {
    const submission = submissionDir({ 'run.sh': SCRIPT });
    const goFile = path.join(submission, 'go');
    const runId = uniqueRunId('live');
    const output: string[] = [];
    let wentOnSeenBeforeGo = false;
    const report = await grade([parseExercise(EXERCISE, 'inline/exercise.yaml')], {
      engine: createDockerEngine(runId),
      submissionRoot: submission,
      progress: {
        info: () => undefined,
        output: (line) => {
          if (line === 'went on' && !existsSync(goFile)) wentOnSeenBeforeGo = true;
          output.push(line);
          // The script is still running, waiting for this file: only a live line can create it.
          if (line === 'waiting for the go file') writeFileSync(goFile, '');
        },
      },
    });
    const exercise = report.exercises[0];
    expect(exercise?.setupError, JSON.stringify(exercise)).toBeUndefined();
    expect(output).toEqual(['waiting for the go file', 'went on', 'last words without a newline']);
    expect(wentOnSeenBeforeGo).toBe(false);
    expect(await leftovers(runId)).toEqual([]);
  });

  it('keeps what a script printed before it was killed at its time limit', { timeout: 60_000 }, async () => {
    const submission = submissionDir({
      'run.sh': 'echo "before the limit"\nprintf "half a line"\nexec sleep 600\n',
    });
    const runId = uniqueRunId('livekill');
    const output: string[] = [];
    const report = await grade(
      [parseExercise(EXERCISE.replace('timeout: 20s', 'timeout: 2s'), 'inline/exercise.yaml')],
      {
        engine: createDockerEngine(runId),
        submissionRoot: submission,
        progress: { info: () => undefined, output: (line) => output.push(line) },
      },
    );
    const exercise = report.exercises[0];
    expect(exercise?.setupError).toMatch(/did not finish within 2s/);
    expect(output).toEqual(['before the limit', 'half a line']);
    expect(await leftovers(runId)).toEqual([]);
  });
});
