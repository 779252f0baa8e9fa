// The policy proxy in front of the engine under test, started as grade() starts it for a run's
// script: for the integration tests that attack the gate (test/integration/abuse, proxy).
import path from 'node:path';
import { RUN_LABEL } from '../../src/naming/labels';
import { type PolicyProxy, startPolicyProxy } from '../../src/proxy/index';
import { ENGINE_SOCKET, onEngine } from './integration';

/**
 * The policy proxy in front of the engine under test, as a run's script has it: its socket in
 * `socketDir`, the run's scope, the submission folder, and the default policy (no extra
 * capabilities, no public ports).
 */
export function startProxyOnEngine(run: {
  runId: string;
  scope: string;
  submission: string;
  socketDir: string;
}): Promise<PolicyProxy> {
  return startPolicyProxy({
    upstream: { socketPath: ENGINE_SOCKET },
    listenPath: path.join(run.socketDir, 'docker.sock'),
    runId: run.runId,
    scope: run.scope,
    submissionDir: run.submission,
    policy: { extraCapabilities: [], publicPorts: false },
  });
}

type RunObjectKind = 'container' | 'network' | 'volume' | 'image';

const LIST: Record<RunObjectKind, string[]> = {
  container: ['ps', '-aq', '--no-trunc'],
  network: ['network', 'ls', '-q', '--no-trunc'],
  volume: ['volume', 'ls', '-q'],
  image: ['image', 'ls', '-q', '--no-trunc'],
};

/** The ids (volume names) of the run's objects of one kind on the engine under test, stopped containers included. */
export async function runObjects(kind: RunObjectKind, runId: string): Promise<string[]> {
  const ids = (await onEngine([...LIST[kind], '--filter', `label=${RUN_LABEL}=${runId}`])).split('\n');
  return [...new Set(ids.filter(Boolean))];
}

/** Removes every container (with its anonymous volumes), network, volume and image of the run. */
export async function removeRunObjects(runId: string): Promise<void> {
  const removal: Record<RunObjectKind, string[]> = {
    container: ['rm', '-f', '-v'],
    network: ['network', 'rm'],
    volume: ['volume', 'rm'],
    image: ['rmi', '-f'],
  };
  for (const kind of ['container', 'network', 'volume', 'image'] as const) {
    const ids = await runObjects(kind, runId);
    if (ids.length > 0) await onEngine([...removal[kind], ...ids]);
  }
}
