// The policy proxy in front of the engine under test, started as grade() starts it for a run's
// script: for the integration tests that attack the gate (test/integration/abuse, proxy).
import path from 'node:path';
import { type PolicyProxy, startPolicyProxy } from '../../src/proxy/index';
import { ENGINE_SOCKET } from './integration';

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
