// The seam between student Docker clients and the engine: one policy proxy (src/proxy,
// contract 2) per script or compose step, on a private unix socket, for the run and scope of
// the exercise, with the exercise's `policy:`.
import { InfraError } from '../errors';
import { type PolicyProxy, type SandboxPolicy, startPolicyProxy } from '../proxy';
import type { RunContext } from '../run/context';
import type { ExercisePolicy } from '../spec/types';

export type { SandboxPolicy } from '../proxy';
export type EngineGate = PolicyProxy;

export const DEFAULT_SANDBOX_POLICY: SandboxPolicy = { extraCapabilities: [], publicPorts: false };

/** The gate's policy from the exercise's `policy:` key (defaults where it says nothing). */
export function sandboxPolicy(policy: ExercisePolicy | undefined): SandboxPolicy {
  return { extraCapabilities: [...(policy?.capabilities ?? [])], publicPorts: policy?.publicPorts ?? false };
}

export interface GateOptions {
  listenPath: string;
  submissionDir: string;
  policy: SandboxPolicy;
}

/** How the gate reaches the engine: the unix socket the grader itself uses. */
export function engineSocketPath(context: RunContext): string {
  const host = context.engine.clientEnvironment().DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new InfraError(
    `student scripts and compose files need the Docker engine on a unix socket (DOCKER_HOST=${host} is not one)`,
  );
}

export function openEngineGate(context: RunContext, options: GateOptions): Promise<EngineGate> {
  return startPolicyProxy({
    upstream: { socketPath: engineSocketPath(context) },
    listenPath: options.listenPath,
    runId: context.engine.runId,
    scope: context.scope,
    submissionDir: options.submissionDir,
    policy: options.policy,
  });
}
