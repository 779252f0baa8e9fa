// A student's script leaving processes behind, on the real engine, through grade(): a process
// that detaches itself (`setsid ... &`, `nohup`, a double fork) is gone when the step ends, with
// the client container it ran in; nothing of the step is left on the engine or the host.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import { abuseExercise, Gradings, script } from '../../support/abuse-grading';
import { summary } from '../../support/inline-grading';

const gradings = new Gradings();
afterAll(() => gradings.stop());

function hostProcesses(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Containers of the run that are the grader's client containers (named <scope>-client-<hex>). */
function clientContainers(runId: string): string[] {
  return execFileSync('docker', [
    'ps',
    '-a',
    '--filter',
    `label=${RUN_LABEL}=${runId}`,
    '--format',
    '{{.Names}}',
  ])
    .toString()
    .split('\n')
    .filter((name) => /-client-[0-9a-f]{8}$/.test(name));
}

describe('what a script leaves running', () => {
  it('is gone when the step ends: detached processes and the client container', async () => {
    const marker = `${600 + Math.floor(Math.random() * 300)}.${Math.floor(Math.random() * 1000)}`;
    const seenAtNextStep: { processes: string[]; clients: string[] }[] = [];
    const graded = await gradings.grade(
      abuseExercise('escape', ['  - script: { file: escape.sh }', '  - script: { file: next.sh }']),
      {
        'escape.sh': script(
          `setsid sleep ${marker} &`,
          `nohup sleep ${marker} >/dev/null 2>&1 &`,
          `( ( sleep ${marker} & ) & )`,
          `disown -a`,
          'echo left behind',
        ),
        'next.sh': 'echo next\n',
      },
      {
        prefix: 'abe',
        // The moment the next step starts, the first one must have left nothing running.
        onInfo: (line, runId) => {
          if (line.includes('step: run the script next.sh')) {
            seenAtNextStep.push({
              processes: hostProcesses(`sleep ${marker}`),
              clients: clientContainers(runId),
            });
          }
        },
      },
    );
    expect(graded.exercise.setupError, summary(graded)).toBeUndefined();
    expect(graded.log).toContain('| left behind');
    expect(seenAtNextStep).toEqual([{ processes: [], clients: [] }]);
    expect(hostProcesses(`sleep ${marker}`)).toEqual([]);
  });
});
