// A container's state and configuration, named the way the student knows its parts (networks
// and volumes by the names in the exercise or compose file, bind sources inside the submission).
import type { ContainerState } from '../../engine/engine';
import { resourceName } from '../../naming/resource-names';
import type { RunContext } from '../../run/context';
import { machineName, onMachine } from '../../run/machines';
import { madeByExercise, resolveContainer } from '../../run/resolve';
import { friendlyName, shownContainerImage, shownPortBindings } from '../../run/shown';
import { settledState } from '../../run/uptime';
import { InfraError } from '../../shared/errors';
import { enumOf, expectSchema, matcher, objectOf, ref, required } from '../../spec/json-schema';
import type { Machine } from '../../spec/types';
import { defineCheck } from '../check';
import { MemoryFact } from '../memory-fact';
import { friendlyBindSource, friendlyObservedName, studentLabels } from '../observed-names';

export const containerCheck = defineCheck('container', {
  target: objectOf("Inspects a container's state and configuration.", {
    name: required(ref('containerRef')),
    machine: enumOf(
      ['local', 'remote'],
      "Which Docker daemon the container must be on: local (default), the student's own, or remote, the machine of a script step with remote: true. A container on the other one does not count.",
    ),
  }),
  expect: expectSchema({
    exists: matcher(),
    status: matcher('created, running, paused, restarting, exited or dead.'),
    running: matcher(),
    exitCode: matcher(),
    oomKilled: matcher(),
    health: matcher('starting, healthy, unhealthy, or none.'),
    restartPolicy: matcher(),
    restartCount: matcher(),
    memory: matcher(
      'The memory limit in bytes, 0 for none. Sizes are understood as docker run -m writes them (512m, 1g: binary units) and as elsewhere (64MiB, 50MB).',
    ),
    pidsLimit: matcher('The process limit (--pids-limit), 0 for none.'),
    pidMode: matcher(
      'The PID namespace: "" its own, host, or container:NAME (the name the exercise or the student gave).',
    ),
    ports: matcher('List like ["8080->80/tcp"] (host port -> container port).'),
    env: matcher('List like ["KEY=value"].'),
    mounts: matcher('List of {type, source, destination, name, readOnly}; use json for a subset.'),
    networks: matcher('Names of the networks it is attached to.'),
    image: matcher(),
    user: matcher(),
    hostname: matcher(),
    labels: ref('matcherMap'),
    processes: matcher('Command lines of its processes, as docker top shows them.'),
  }),
  containerKey: 'name',
  readOnly: true,
  validate(target, rules) {
    if (target.machine === 'remote' && !rules.remote) {
      rules.problem(
        ['machine'],
        'machine: remote needs a remote machine, and no script step of this exercise has remote: true',
      );
    }
  },
  async observe(target, exerciseContext) {
    const context = onMachine(exerciseContext, target.machine);
    const found =
      target.machine === undefined
        ? await resolveContainer(target.name, context)
        : await studentsContainerOn(target.machine, target.name, exerciseContext);
    const state = found === undefined ? undefined : await settledState(found, context);
    // A fact, not a failure: `exists: false` is what an exercise expects of a removed container.
    if (state === undefined) {
      const note =
        target.machine === undefined
          ? undefined
          : await onOtherMachine(target.machine, target.name, exerciseContext);
      return { facts: { exists: false }, ...(note === undefined ? {} : { note }) };
    }
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
        memory: new MemoryFact(state.memory ?? 0),
        pidsLimit: state.pidsLimit ?? 0,
        pidMode: await shownPidMode(state.pidMode ?? '', context),
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
});

/**
 * A container the exercise made on one machine, by its name there: on the local machine a run
 * step's, a compose service, or what the student's commands named so; on the remote machine
 * only what the student's commands made through it. Never an engine name alone: a `web` of
 * someone else's on the engine is on neither of the student's machines.
 */
async function studentsContainerOn(
  machine: Machine,
  name: string,
  exerciseContext: RunContext,
): Promise<ContainerState | undefined> {
  const context = onMachine(exerciseContext, machine);
  if (machine === 'local') {
    const fromStep = context.resources.containers.get(name);
    if (fromStep !== undefined) return context.engine.findContainer(fromStep.id);
    if (context.resources.composeProjects.length > 0) {
      const found = await resolveContainer(name, context);
      if (found !== undefined && madeByExercise(found.labels, context)) return found;
    }
  }
  const named = await context.engine.findContainer(resourceName(context.scope, name));
  return named !== undefined && madeByExercise(named.labels, context) ? named : undefined;
}

/**
 * Why a container is missing when the other machine has one of that name: the classic mistake
 * of a docker command that went to the local daemon (or the other way round).
 */
async function onOtherMachine(
  machine: Machine,
  name: string,
  context: RunContext,
): Promise<string | undefined> {
  const other: Machine = machine === 'remote' ? 'local' : 'remote';
  if ((await studentsContainerOn(other, name, context)) === undefined) return undefined;
  const advice =
    machine === 'remote'
      ? 'the docker command that made it talked to the local daemon: point the docker client at the remote one (docker -H ssh://..., DOCKER_HOST or a docker context)'
      : 'the docker command that made it talked to the remote daemon';
  return `a container "${name}" exists on ${machineName(other)}, not on ${machineName(machine)}: ${advice}`;
}

/**
 * The PID namespace as the student wrote it: `container:limited` for the container they call
 * limited, whatever engine name or id the gate passed on; '' (its own) and `host` as they are.
 */
async function shownPidMode(pidMode: string, context: RunContext): Promise<string> {
  if (!pidMode.startsWith('container:')) return pidMode;
  const other = await context.engine.findContainer(pidMode.slice('container:'.length));
  return other === undefined ? pidMode : `container:${friendlyName(other, context)}`;
}

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
