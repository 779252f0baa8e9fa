// A container's state and configuration, named the way the student knows its parts (networks
// and volumes by the names in the exercise or compose file, bind sources inside the submission).
import type { ContainerState } from '../engine/engine';
import { InfraError } from '../errors';
import type { RunContext } from '../run/context';
import { resolveContainer, shownContainerImage, shownPortBindings } from '../run/resolve';
import { settledState } from '../run/uptime';
import type { CheckDefinition } from './check';
import { friendlyBindSource, friendlyObservedName, studentLabels } from './observed-names';

export const containerCheck: CheckDefinition<'container'> = {
  kind: 'container',
  async observe(target, context) {
    const found = await resolveContainer(target.name, context);
    const state = found === undefined ? undefined : await settledState(found, context);
    // A fact, not a failure: `exists: false` is what an exercise expects of a removed container.
    if (state === undefined) return { facts: { exists: false } };
    return {
      facts: {
        exists: true,
        status: state.status,
        running: state.running,
        exitCode: state.exitCode,
        oomKilled: state.oomKilled,
        health: state.health ?? 'none',
        restartPolicy: state.restartPolicy,
        restartCount: state.restartCount,
        ports: portList(shownPortBindings(state, context)),
        env: state.env,
        mounts: await mountList(state, context),
        networks: (
          await Promise.all(
            Object.keys(state.networks).map((name) => friendlyObservedName('network', name, context)),
          )
        ).sort(),
        // By identity: a student's image tagged with a base image's name is not that image.
        image: await shownContainerImage(state, context),
        user: state.user,
        hostname: state.hostname,
        labels: studentLabels(state.labels),
        processes: state.running ? await processesOf(state.id, context) : [],
      },
    };
  },
};

/** "8080->80/tcp" for each host port bound to a container port, as `docker ps` shows them. */
export function portList(bindings: Record<string, number[]>): string[] {
  return Object.entries(bindings)
    .flatMap(([containerPort, hostPorts]) => hostPorts.map((hostPort) => `${hostPort}->${containerPort}`))
    .sort();
}

function mountList(state: ContainerState, context: RunContext): Promise<Array<Record<string, unknown>>> {
  return Promise.all(
    state.mounts.map(async (mount) => ({
      type: mount.type,
      source: mount.type === 'bind' ? friendlyBindSource(mount.source, context) : mount.source,
      destination: mount.destination,
      ...(mount.name === undefined
        ? {}
        : { name: await friendlyObservedName('volume', mount.name, context) }),
      readOnly: mount.readOnly,
    })),
  );
}

async function processesOf(id: string, context: RunContext): Promise<string[]> {
  try {
    return await context.engine.processes(id);
  } catch (error) {
    // It stopped since it was inspected: a stopped container runs nothing.
    if (error instanceof InfraError) throw error;
    return [];
  }
}
