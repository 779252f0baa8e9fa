import { describe, expect, it } from 'vitest';
import { PROBE_IMAGE, probeOutcome, reachCheck } from '../../../src/checks/kinds/reach';
import type { ContainerRequest } from '../../../src/engine/engine';
import { SCOPE_LABEL } from '../../../src/naming/labels';
import { InfraError } from '../../../src/shared/errors';
import { contextOn, RecordingEngine, SCOPE } from '../../support/unit-checks';

const HELPER = `${SCOPE}-reach-`;

/** An engine whose probe helper exits at once with `exitCode`, having printed `output`. */
function probing(exitCode: number, output = ''): { engine: RecordingEngine; helpers: ContainerRequest[] } {
  const engine = new RecordingEngine();
  engine.exitOnStart.set(HELPER, exitCode);
  const helpers: ContainerRequest[] = [];
  const create = engine.createContainer.bind(engine);
  engine.createContainer = async (request) => {
    const id = await create(request);
    if (request.name.startsWith(HELPER)) {
      helpers.push(request);
      engine.logsById.set(id, { stdout: '', stderr: output, truncated: false });
    }
    return id;
  };
  return { engine, helpers };
}

describe('reach check', () => {
  it("probes from a helper in the container's network namespace, labelled, and removes it", async () => {
    const { engine, helpers } = probing(0);
    const context = contextOn(engine);
    const from = await engine.runStep(context, 'web');
    expect(await reachCheck.observe({ from: 'web', to: 'db', port: 5432, timeout: '3s' }, context)).toEqual({
      facts: { resolves: true, reachable: true },
    });
    expect(helpers).toEqual([
      {
        name: expect.stringMatching(new RegExp(`^${HELPER}[0-9a-f]{8}$`)),
        image: PROBE_IMAGE,
        cmd: ['nc', '-w', '3', 'db', '5432', '-e', 'true'],
        networkMode: `container:${from}`,
        labels: { [SCOPE_LABEL]: SCOPE },
      },
    ]);
    expect(engine.calls).toContain(`ensure-image ${PROBE_IMAGE}`);
    expect([...engine.containers.values()].map((request) => request.name)).toEqual([`${SCOPE}-web`]);
  });

  it('tells an unknown name from a closed port', async () => {
    const unresolved = probing(1, "nc: bad address 'db'\n");
    const context = contextOn(unresolved.engine);
    await unresolved.engine.runStep(context, 'web');
    expect(await reachCheck.observe({ from: 'web', to: 'db', port: 5432 }, context)).toEqual({
      facts: { resolves: false, reachable: false },
    });
    const refused = probing(1, "nc: can't connect to remote host (172.18.0.3): Connection refused\n");
    const other = contextOn(refused.engine);
    await refused.engine.runStep(other, 'web');
    expect(await reachCheck.observe({ from: 'web', to: 'db', port: 5432 }, other)).toEqual({
      facts: { resolves: true, reachable: false },
    });
  });

  it('observes only resolution without a port', async () => {
    const { engine, helpers } = probing(1, '');
    const context = contextOn(engine);
    await engine.runStep(context, 'web');
    expect(await reachCheck.observe({ from: 'web', to: 'db' }, context)).toEqual({
      facts: { resolves: true, reachable: undefined },
    });
    expect(helpers[0]?.cmd).toEqual(['nc', '-w', '1', 'db', '9', '-e', 'true']);
  });

  it('fails from a container that is not running, and for a target nc would take for an option', async () => {
    const { engine } = probing(0);
    const context = contextOn(engine);
    const id = await engine.runStep(context, 'web');
    expect(await reachCheck.observe({ from: 'web', to: '-e', port: 80 }, context)).toEqual({
      failure: { message: '"-e" is not a host name or an IP address' },
    });
    engine.runningById.set(id, false);
    expect(await reachCheck.observe({ from: 'web', to: 'db', port: 80 }, context)).toEqual({
      failure: { message: 'container "web" is not running (exited, exit code 1)' },
    });
    expect(engine.calls.some((call) => call.startsWith('ensure-image'))).toBe(false);
  });

  it('fails when the probe outlives its time, and still removes the helper', async () => {
    const engine = new RecordingEngine();
    const context = contextOn(engine);
    await engine.runStep(context, 'web');
    expect(await reachCheck.observe({ from: 'web', to: 'db', port: 80, timeout: '2s' }, context)).toEqual({
      failure: { message: 'the probe from "web" to db:80 did not finish within 12s' },
    });
    expect(engine.containers.size).toBe(1);
  });

  it('is an infrastructure error when the probe image cannot be had', async () => {
    const engine = new RecordingEngine();
    engine.unpullable.add(PROBE_IMAGE);
    const context = contextOn(engine);
    await engine.runStep(context, 'web');
    await expect(reachCheck.observe({ from: 'web', to: 'db', port: 80 }, context)).rejects.toThrow(
      InfraError,
    );
  });
});

describe('probe outcome', () => {
  // What busybox nc prints for each outcome: only a name that does not resolve is told apart.
  it.each([
    { exitCode: 0, output: '', outcome: 'connected' },
    { exitCode: 1, output: "nc: bad address 'db'", outcome: 'unresolved' },
    {
      exitCode: 1,
      output: "nc: can't connect to remote host (10.0.0.2): Connection refused",
      outcome: 'unreachable',
    },
    { exitCode: 1, output: 'nc: timed out', outcome: 'unreachable' },
    { exitCode: 1, output: '', outcome: 'unreachable' },
  ] as const)('exit $exitCode with $output is $outcome', ({ exitCode, output, outcome }) => {
    expect(probeOutcome(exitCode, output)).toBe(outcome);
  });

  it.each([
    [1, "nc: invalid option -- 'e'\nUsage: nc [-iN] [-wN] [-l] [-p PORT]"],
    [127, 'exec: nc: not found'],
    [137, ''],
  ] as const)('exit %i with %j is the grader failing', (exitCode, output) => {
    expect(() => probeOutcome(exitCode, output)).toThrow(InfraError);
  });
});
