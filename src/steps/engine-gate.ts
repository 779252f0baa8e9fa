// The seam between student Docker clients and the engine: one policy proxy (src/proxy,
// contract 2) per script or compose step, on a private unix socket, for the run and scope of
// the exercise, with the exercise's `policy:`.

import { type PolicyProxy, type PolicyProxyOptions, type SandboxPolicy, startPolicyProxy } from '../proxy';
import type { RunContext } from '../run/context';
import { InfraError } from '../shared/errors';
import type { ExercisePolicy } from '../spec/types';

export type { SandboxPolicy } from '../proxy';
export type EngineGate = PolicyProxy;
type Upstream = PolicyProxyOptions['upstream'];

export const DEFAULT_SANDBOX_POLICY: SandboxPolicy = { extraCapabilities: [], publicPorts: false };

/** The gate's policy from the exercise's `policy:` key (defaults where it says nothing). */
export function sandboxPolicy(policy: ExercisePolicy | undefined): SandboxPolicy {
  return { extraCapabilities: [...(policy?.capabilities ?? [])], publicPorts: policy?.publicPorts ?? false };
}

export interface GateOptions {
  listenPath: string;
  submissionDir: string;
  policy: SandboxPolicy;
  /**
   * The scope of the names and labels the gate gives what it creates, and of what it shows:
   * default the exercise's. The remote machine's gate has its own (run/machines.ts).
   */
  scope?: string;
}

/**
 * How the gate reaches the engine: however the grader reaches it (unix socket, TCP with TLS,
 * SSH), with the same connection facts. Only an engine on this machine will do: the client
 * container bind-mounts the submission folder and the gate's socket by their paths here, and the
 * gate checks bind mounts against this machine's files; on another machine those paths name
 * that machine's files, or nothing (docs/decisions.md).
 */
export function engineUpstream(context: RunContext): Upstream {
  const connection = context.engine.connection?.();
  if (connection === undefined) {
    // An engine that cannot dial (a fake of the interface): the unix socket of its environment.
    const host = context.engine.clientEnvironment().DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
    throw new InfraError(`student scripts and compose files cannot reach the Docker engine at ${host}`);
  }
  if (!connection.onThisMachine) {
    throw new InfraError(
      `script and compose steps need the Docker engine on this machine (a unix socket, or tcp:// or ssh:// to a loopback address), and ${connection.display} is not: the student's bind mounts would name files on the engine's machine, not the submission here`,
    );
  }
  return { dial: () => connection.dial() };
}

export function openEngineGate(context: RunContext, options: GateOptions): Promise<EngineGate> {
  return startPolicyProxy({
    upstream: engineUpstream(context),
    listenPath: options.listenPath,
    runId: context.engine.runId,
    scope: options.scope ?? context.scope,
    submissionDir: options.submissionDir,
    policy: options.policy,
    concurrentExercises: context.concurrentExercises ?? 1,
  });
}
