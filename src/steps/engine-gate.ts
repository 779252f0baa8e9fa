// The seam between student Docker clients and the engine: one gate per script or compose step,
// on a private unix socket. The policy proxy (src/proxy, contract 2) is the gate; until it is
// merged, a pass-through stands in so that the client container can be built and tested.
import net from 'node:net';
import { InfraError } from '../errors';
import type { RunContext } from '../run/context';
import type { ExercisePolicy } from '../spec/types';

/** What the exercise's `policy:` key allows beyond the hardened defaults (contract 3). */
export interface SandboxPolicy {
  extraCapabilities: string[];
  publicPorts: boolean;
}

export const DEFAULT_SANDBOX_POLICY: SandboxPolicy = { extraCapabilities: [], publicPorts: false };

/** The gate's policy from the exercise's `policy:` key (defaults where it says nothing). */
export function sandboxPolicy(policy: ExercisePolicy | undefined): SandboxPolicy {
  return { extraCapabilities: [...(policy?.capabilities ?? [])], publicPorts: policy?.publicPorts ?? false };
}

export interface EngineGate {
  readonly socketPath: string;
  /** Clear messages of every refused request, in order, for the student's report. */
  readonly refusals: readonly string[];
  /** Requests still waiting for the engine, said the way a student understands them. */
  inFlight(): string[];
  close(): Promise<void>;
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

export async function openEngineGate(context: RunContext, options: GateOptions): Promise<EngineGate> {
  const upstream = engineSocketPath(context);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const engine = net.connect(upstream);
    sockets.add(client).add(engine);
    const end = (): void => {
      client.destroy();
      engine.destroy();
      sockets.delete(client);
      sockets.delete(engine);
    };
    client.on('error', end).on('close', end);
    engine.on('error', end).on('close', end);
    client.pipe(engine).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPath, () => resolve());
  });
  return {
    socketPath: options.listenPath,
    refusals: [],
    inFlight: () => [],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
