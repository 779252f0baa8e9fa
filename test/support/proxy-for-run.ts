// Starting the policy proxy as grade() starts it for a run's script (the default sandbox policy)
// in front of any upstream: the engine under test, a private engine, or a unit test's fake one.

import { type PolicyProxy, type PolicyProxyOptions, startPolicyProxy } from '../../src/proxy/index';
import { DEFAULT_SANDBOX_POLICY } from '../../src/steps/engine-gate';

/** The run a proxy stands for: its id and scope, and the submission binds may come from. */
export interface ProxiedRun {
  runId: string;
  scope: string;
  submission: string;
}

/**
 * The policy proxy listening on `listenPath`, forwarding to the engine on `upstreamSocket`, for
 * `run`, with the default policy (no extra capabilities, no public ports); `bounds` for a test
 * of the gate's own bounds.
 */
export function startRunProxy(
  upstreamSocket: string,
  listenPath: string,
  run: ProxiedRun,
  bounds?: PolicyProxyOptions['bounds'],
): Promise<PolicyProxy> {
  return startPolicyProxy({
    upstream: { socketPath: upstreamSocket },
    listenPath,
    runId: run.runId,
    scope: run.scope,
    submissionDir: run.submission,
    policy: DEFAULT_SANDBOX_POLICY,
    ...(bounds ? { bounds } : {}),
  });
}
