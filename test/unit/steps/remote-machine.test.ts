// The remote machine of a script step with `remote: true`, as checks and validation see it: its
// own name space, the container check's `machine`, and the message of the classic mistake.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/checks/evaluate';
import { containerCheck } from '../../../src/checks/kinds/container';
import { SCOPE_LABEL, STUDENT_NAME_LABEL } from '../../../src/naming/labels';
import { remoteScope, resourceName } from '../../../src/naming/resource-names';
import { semanticProblems } from '../../../src/spec/semantics';
import type { CheckSpec, ExerciseSpec } from '../../../src/spec/types';
import { CLIENT_DOCKERFILE } from '../../../src/steps/client-image';
import { CLIENT_UID } from '../../../src/steps/client-user';
import { REMOTE_DOCKERFILE, REMOTE_UID, REMOTE_USER } from '../../../src/steps/remote-machine';
import { contextOn, RecordingEngine, SCOPE } from '../../support/unit-checks';

/** A container the student's docker commands made through a gate of `scope`, named `name`. */
async function studentContainer(engine: RecordingEngine, scope: string, name: string): Promise<string> {
  const id = await engine.createContainer({
    name: resourceName(scope, name),
    image: 'nginx',
    labels: { [SCOPE_LABEL]: scope, [STUDENT_NAME_LABEL]: name },
  });
  await engine.startContainer(id);
  return id;
}

const remoteCheck = (expect: CheckSpec['expect']): CheckSpec => ({
  name: 'web runs on the remote machine',
  container: { name: 'web', machine: 'remote' },
  expect,
});

describe('the remote machine has names of its own', () => {
  it('no name the local gate gives is one the remote gate gives', () => {
    const local = resourceName(SCOPE, '');
    const remote = resourceName(remoteScope(SCOPE), '');
    // Whatever the student calls a local container (`remote-web` included), it starts `<scope>-`.
    expect(resourceName(SCOPE, 'remote-web').startsWith(remote)).toBe(false);
    expect(remote.startsWith(local)).toBe(false);
    expect(resourceName(remoteScope(SCOPE), 'web')).not.toBe(resourceName(SCOPE, 'web'));
  });
});

describe('container check with machine', () => {
  it('machine: remote finds the container made through the remote machine, not the local one', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    await studentContainer(engine, remoteScope(SCOPE), 'web');
    const observed = await containerCheck.observe({ name: 'web', machine: 'remote' }, context);
    expect(observed).toMatchObject({ facts: { exists: true, running: true, image: 'nginx' } });
    // The same name on the local machine is another container, which is not there.
    expect(await containerCheck.observe({ name: 'web', machine: 'local' }, context)).toMatchObject({
      facts: { exists: false },
      note: expect.stringContaining('exists on the remote machine, not on your own machine'),
    });
  });

  it('a container run locally instead fails machine: remote, saying where it is', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    await studentContainer(engine, SCOPE, 'web');
    const observed = await containerCheck.observe({ name: 'web', machine: 'remote' }, context);
    expect(observed).toEqual({
      facts: { exists: false },
      note: expect.stringContaining(
        'exists on your own machine (the local Docker daemon), not on the remote machine',
      ),
    });
    const result = evaluate(remoteCheck({ exists: true, running: true }), observed);
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(/the container "web" on the remote machine does not exist; /);
    expect(result.message).toContain('talked to the local daemon');
    // Without `machine` the check looks where it always did, and finds the local one.
    expect(await containerCheck.observe({ name: 'web' }, context)).toMatchObject({ facts: { exists: true } });
  });

  it('a container on neither machine is missing with no note; exists: false then passes', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    const observed = await containerCheck.observe({ name: 'web', machine: 'remote' }, context);
    expect(observed).toEqual({ facts: { exists: false } });
    expect(evaluate(remoteCheck({ exists: false }), observed).status).toBe('pass');
  });

  it("machine: remote never takes an engine name or someone else's container for the student's", async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    // A container named web on the engine, of no gate: neither machine's.
    const id = await engine.createContainer({ name: 'web', image: 'nginx' });
    await engine.startContainer(id);
    // One of another exercise's remote machine.
    await studentContainer(engine, remoteScope('fake-run-2'), 'web');
    expect(await containerCheck.observe({ name: 'web', machine: 'remote' }, context)).toEqual({
      facts: { exists: false },
    });
  });
});

describe('validation of machine: remote', () => {
  const spec = (remote: boolean): ExerciseSpec => ({
    version: 1,
    id: 'intro/remote',
    title: 'remote',
    steps: [{ script: { file: 'run.sh', ...(remote ? { remote: true } : {}) } }],
    checks: [remoteCheck({ running: true })],
  });

  it('needs a script step with remote: true', () => {
    expect(semanticProblems(spec(false))).toEqual([
      {
        specPath: ['checks', 0, 'container', 'machine'],
        message:
          'machine: remote needs a remote machine, and no script step of this exercise has remote: true',
      },
    ]);
    expect(semanticProblems(spec(true))).toEqual([]);
  });
});

describe('the images built where no stand-in is preloaded', () => {
  it('give the client an ssh and a user for its uid, and the remote machine its user', () => {
    expect(CLIENT_DOCKERFILE).toContain('openssh-client');
    expect(CLIENT_DOCKERFILE).toContain(`:x:${CLIENT_UID}:`);
    expect(REMOTE_DOCKERFILE).toContain('openssh-server');
    expect(REMOTE_DOCKERFILE).toContain(`-u ${REMOTE_UID} `);
    expect(REMOTE_DOCKERFILE).toContain(` ${REMOTE_USER}`);
  });
});
