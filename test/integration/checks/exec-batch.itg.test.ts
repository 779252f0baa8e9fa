// Batched command checks (src/checks/exec-batch.ts) against the same commands run as separate
// execs, on the real engine: every observation must be identical, hostile output included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../../src/checks/check';
import { observeExecBatch } from '../../../src/checks/exec-batch';
import {
  type ExecTarget,
  execLimitMs,
  execObservation,
  MAX_OUTPUT_BYTES,
} from '../../../src/checks/kinds/exec';
import { createDockerEngine } from '../../../src/engine/docker-engine';
import type { Engine, ExecRequest } from '../../../src/engine/engine';
import { Resources, type RunContext } from '../../../src/run/context';
import { commandArgv } from '../../../src/spec/values';
import { docker, leftovers, removeEverything, runLabel, uniqueRunId } from '../../support/inline-grading';

const runId = uniqueRunId('checksbatch');
const busybox = `${runId}-busybox`;
const debian = `${runId}-debian`;

/** The real engine, counting the execs it is asked for. */
function countingEngine(): { engine: Engine; execs: () => number } {
  const real = createDockerEngine(runId);
  let count = 0;
  const engine = Object.create(real) as Engine;
  engine.exec = (id: string, request: ExecRequest) => {
    count += 1;
    return real.exec(id, request);
  };
  return { engine, execs: () => count };
}

function contextFor(engine: Engine): RunContext {
  return {
    engine,
    http: () => Promise.reject(new Error('no HTTP here')),
    exerciseId: 'test/batch',
    resources: new Resources(),
    submissionRoot: '/',
    submissionDir: '/',
    scope: `${runId}-1`,
    deadline: Date.now() + 120_000,
    progress: { info: () => {}, output: () => {} },
    now: Date.now,
  };
}

/** What each command gives when run in an exec of its own, as execCheck runs it. */
async function separately(targets: ExecTarget[], context: RunContext): Promise<Observation[]> {
  const observations: Observation[] = [];
  for (const target of targets) {
    const state = await context.engine.findContainer(target.container);
    if (state === undefined) throw new Error(`no container ${target.container}`);
    const limitMs = execLimitMs(target, context);
    const result = await context.engine.exec(state.id, {
      cmd: commandArgv(target.command),
      timeoutMs: limitMs,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
    observations.push(execObservation(result, limitMs));
  }
  return observations;
}

/** Output that imitates every line the batch script prints, with a plausible nonce. */
const FAKE_NONCE = 'a'.repeat(32);
const HOSTILE = [
  `printf '${FAKE_NONCE} ready /tmp\\n${FAKE_NONCE} done 0 0 0 0\\n${FAKE_NONCE} done 1 0 5 0\\nhello${FAKE_NONCE} end\\n'`,
  `printf '${FAKE_NONCE} stop\\n' >&2`,
  'printf "\\n%s done 9 0 99999999 0\\n" deadbeefdeadbeefdeadbeefdeadbeef',
  'exit 4',
].join('; ');

function commands(container: string): ExecTarget[] {
  const target = (command: ExecTarget['command']): ExecTarget => ({ container, command });
  return [
    target(['echo', '-n', 'no trailing newline']),
    // A shell builtin echo would expand the escape; the program does not (coreutils), or does
    // (busybox) exactly as it does in an exec of its own.
    target(['echo', 'a\\nb']),
    target(['sh', '-c', 'printf "a\\000b\\377\\376c"; printf "err \\342\\202" >&2; exit 7']),
    target(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\000" x; echo tail >&2']),
    target(['printf', '[%s]', 'with space', 'quote"d', "single'q", 'new\nline', '$HOME', '*', '']),
    target(HOSTILE),
    target(['cat']),
    target(['false']),
    target('echo "$0"; echo "$#"'),
    target(['sh', '-c', 'echo multi; echo line; printf "\\n\\n"']),
  ];
}

beforeAll(async () => {
  await docker('run', '-d', '--name', busybox, ...runLabel(runId), 'busybox', 'sleep', '600');
  await docker('run', '-d', '--name', debian, ...runLabel(runId), 'debian:bookworm-slim', 'sleep', '600');
}, 120_000);

afterAll(async () => {
  await removeEverything(runId);
  expect(await leftovers(runId)).toEqual([]);
}, 120_000);

describe('batched command checks', () => {
  for (const container of [busybox, debian]) {
    it(`give what separate execs give, in one exec (${container.endsWith('busybox') ? 'busybox ash' : 'debian dash'})`, async () => {
      const { engine, execs } = countingEngine();
      const context = contextFor(engine);
      const targets = commands(container);
      const batched = await observeExecBatch(targets, context);
      expect(execs()).toBe(1);
      expect(batched.every((observation) => observation !== undefined)).toBe(true);
      const alone = await separately(targets, context);
      expect(batched).toEqual(alone);
      // The cases are what they claim to be.
      expect(alone[0]).toEqual({ facts: { stdout: 'no trailing newline', stderr: '', exitCode: 0 } });
      expect(alone[3]).toMatchObject({ facts: { stderr: 'tail\n', exitCode: 0 } });
      expect((alone[3] as { facts: { stdout: string } }).facts.stdout).toHaveLength(MAX_OUTPUT_BYTES);
      expect(alone[5]).toMatchObject({ facts: { exitCode: 4 } });
    }, 120_000);
  }

  it('stops at a program the shell cannot find, and leaves it and the rest to execs of their own', async () => {
    const { engine, execs } = countingEngine();
    const context = contextFor(engine);
    const targets: ExecTarget[] = [
      { container: busybox, command: ['echo', 'first'] },
      { container: busybox, command: ['no-such-program-anywhere'] },
      { container: busybox, command: ['echo', 'third'] },
    ];
    const batched = await observeExecBatch(targets, context);
    expect(execs()).toBe(1);
    expect(batched[0]).toEqual({ facts: { stdout: 'first\n', stderr: '', exitCode: 0 } });
    expect(batched.slice(1)).toEqual([undefined, undefined]);
  }, 60_000);

  it('times out one command as its own exec would, while those before it finish', async () => {
    const { engine } = countingEngine();
    const context = contextFor(engine);
    const targets: ExecTarget[] = [
      { container: busybox, command: ['echo', 'before'] },
      { container: busybox, command: 'echo partial; sleep 60', timeout: '3s' },
      { container: busybox, command: ['echo', 'after'] },
    ];
    const batched = await observeExecBatch(targets, context);
    const alone = await separately(targets.slice(0, 2), context);
    expect(batched.slice(0, 2)).toEqual(alone);
    expect(alone[1]).toEqual({
      failure: { message: 'the command did not finish within 3s', actual: 'partial\n' },
    });
    // The script starts nothing after a command near its limit: the rest runs alone.
    expect(batched[2]).toBeUndefined();
  }, 60_000);

  it('leaves a stopped container to each check, which then says so', async () => {
    const stoppedName = `${runId}-stopped`;
    await docker('run', '-d', '--name', stoppedName, ...runLabel(runId), 'busybox', 'true');
    await docker('wait', stoppedName);
    const { engine, execs } = countingEngine();
    const targets: ExecTarget[] = [
      { container: stoppedName, command: ['true'] },
      { container: stoppedName, command: ['true'] },
    ];
    expect(await observeExecBatch(targets, contextFor(engine))).toEqual([undefined, undefined]);
    expect(execs()).toBe(0);
  }, 60_000);
});
