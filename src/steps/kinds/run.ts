// The `run` step: a container started as `docker run` would, with the grader's hardened defaults.
import path from 'node:path';
import type {
  ContainerRequest,
  HealthcheckRequest,
  MountRequest,
  NetworkAttachment,
} from '../../engine/engine';
import { ENGINE_NETWORKS } from '../../naming/engine-networks';
import { scopeLabels } from '../../naming/labels';
import { containerName, resourceName } from '../../naming/resource-names';
import type { Failure, RunContext } from '../../run/context';
import { errorMessage, InfraError } from '../../shared/errors';
import { durationMs } from '../../spec/duration';
import { enumOf, objectOf, ref, required, text, typed } from '../../spec/json-schema';
import type { Command, NetworkAttachmentSpec, VolumeMount } from '../../spec/types';
import { commandArgv, textValues } from '../../spec/values';
import { refused } from '../container-ref';
import { submissionPath } from '../paths';
import { waitUntilReady } from '../readiness';
import { defineStep, type StepBody } from '../step';

export const runStep = defineStep('run', {
  schema: objectOf('Starts a container from a built image (by step name) or a local image reference.', {
    name: required(ref('name')),
    image: required(text("A build step's name, or an image reference.")),
    command: ref('command'),
    entrypoint: typed<string[]>({ type: 'array', items: { type: 'string' } }),
    env: ref('stringMap'),
    ports: typed<number[]>({
      type: 'array',
      items: ref('port'),
      uniqueItems: true,
      description: 'Container ports published on 127.0.0.1 with ephemeral host ports.',
    }),
    volumes: typed<VolumeMount[]>({ type: 'array', items: ref('volumeMount') }),
    networks: typed<NetworkAttachmentSpec[]>({
      type: 'array',
      items: ref('networkAttachment'),
      description: 'Network step names (or existing networks), with aliases.',
    }),
    restart: enumOf(['no', 'always', 'unless-stopped', 'on-failure']),
    user: text(),
    workdir: text(),
    hostname: text(),
    healthcheck: objectOf({
      test: required(ref('command')),
      interval: ref('duration'),
      timeout: ref('duration'),
      retries: typed<number>({ type: 'integer', minimum: 1 }),
      startPeriod: ref('duration'),
    }),
    wait: ref('wait'),
  }),
  validate(step, rules) {
    rules.uniqueName(['name'], step.name);
    rules.declare({ run: step });
    (step.volumes ?? []).forEach((volume, index) => {
      const source = typeof volume === 'string' ? (volume.split(':')[0] ?? '') : volume.source;
      const isBind =
        typeof volume === 'string' ? /^[./]/.test(source) : volume.type === 'bind' || /^[./]/.test(source);
      if (!isBind) return;
      const where = typeof volume === 'string' ? ['volumes', index] : ['volumes', index, 'source'];
      if (path.posix.isAbsolute(source)) {
        rules.problem(where, `bind mount source "${source}" must be a folder of the submission, like ./html`);
      } else rules.relativePath(where, source);
    });
    (step.networks ?? []).forEach((network, index) => {
      if (typeof network === 'string') rules.network(['networks', index], network);
      else rules.network(['networks', index, 'name'], network.name);
    });
    rules.wait(['wait'], step.wait, step.ports ?? []);
  },
  describe: (step) => `run container "${step.name}" from ${step.image}`,
  async run(step, context) {
    const image = context.resources.images.resolve(step.image);
    if ((await context.engine.inspectImage(image)) === undefined) {
      return {
        message: `image "${step.image}" is not available (no build step made it and it is not on the engine)`,
      };
    }
    const mounts: MountRequest[] = [];
    for (const volume of step.volumes ?? []) {
      const mount = await mountRequest(parseVolumeMount(volume), step.name, context);
      if ('failure' in mount) return mount.failure;
      mounts.push(mount);
    }
    const name = containerName(context.scope, step.name);
    const request: ContainerRequest = {
      name,
      image,
      cmd: step.command === undefined ? undefined : commandArgv(step.command),
      entrypoint: step.entrypoint,
      env: textValues(step.env),
      ports: step.ports,
      user: step.user,
      workdir: step.workdir,
      hostname: step.hostname,
      labels: scopeLabels(context.scope),
      mounts,
      networks: networkAttachments(step, context),
      restartPolicy: step.restart && { name: step.restart },
      healthcheck: step.healthcheck && healthcheckRequest(step.healthcheck),
    };
    let id: string;
    try {
      id = await context.engine.createContainer(request);
    } catch (error) {
      return refused('be created', step.name, error);
    }
    context.resources.containers.add(step.name, {
      id,
      name,
      ports: step.ports ?? [],
      request,
      wait: step.wait,
    });
    try {
      // A container binding the submission starts with the run's containers paused and its
      // sources checked unchanged (DockerEngine.startContainer, bind-writers.ts).
      await context.engine.startContainer(id);
    } catch (error) {
      return refused('start', step.name, error);
    }
    return step.wait ? waitUntilReady(step.name, id, step.wait, context) : undefined;
  },
});

export type RunStep = StepBody<typeof runStep>;

export interface ParsedMount {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  readOnly: boolean;
}

/** 'name:/path[:ro]' is a named volume, './dir:/path[:ro]' a folder of the submission. */
export function parseVolumeMount(volume: VolumeMount): ParsedMount {
  if (typeof volume === 'string') {
    const [source = '', target = '', mode] = volume.split(':');
    return { type: looksLikePath(source) ? 'bind' : 'volume', source, target, readOnly: mode === 'ro' };
  }
  return {
    type: volume.type ?? (looksLikePath(volume.source) ? 'bind' : 'volume'),
    source: volume.source,
    target: volume.target,
    readOnly: volume.readOnly ?? false,
  };
}

function looksLikePath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/');
}

async function mountRequest(
  mount: ParsedMount,
  stepName: string,
  context: RunContext,
): Promise<MountRequest | { failure: Failure }> {
  if (mount.type === 'bind') {
    const host = await submissionPath(context.submissionDir, mount.source, 'bind mount source');
    if ('failure' in host) return host;
    return { type: 'bind', source: host.path, target: mount.target, readOnly: mount.readOnly };
  }
  let engineName = context.resources.volumes.resolve(mount.source);
  if (engineName === mount.source) {
    // No volume step made it, and no earlier run step: it is the exercise's own, made on first use.
    engineName = resourceName(context.scope, mount.source);
    try {
      await context.engine.createVolume({ name: engineName, labels: scopeLabels(context.scope) });
    } catch (error) {
      if (error instanceof InfraError) throw error;
      return {
        failure: {
          message: `the volume "${mount.source}" of container "${stepName}" could not be created: ${errorMessage(error)}`,
        },
      };
    }
    context.resources.volumes.add(mount.source, engineName);
  }
  return { type: 'volume', source: engineName, target: mount.target, readOnly: mount.readOnly };
}

/**
 * Containers are found on their networks by the run step's name, as compose services are by
 * theirs: the engine name carries the scope, which no exercise can know.
 */
function networkAttachments(step: RunStep, context: RunContext): NetworkAttachment[] | undefined {
  return step.networks?.map((network) => {
    const name = context.resources.networks.resolve(typeof network === 'string' ? network : network.name);
    // The engine's own networks take no aliases: only user-defined networks have a DNS.
    if (ENGINE_NETWORKS.has(name)) return { name };
    const aliases = typeof network === 'string' ? [] : (network.aliases ?? []);
    return { name, aliases: aliases.includes(step.name) ? aliases : [step.name, ...aliases] };
  });
}

const HEALTHCHECK_FORMS = new Set(['CMD', 'CMD-SHELL', 'NONE']);

/** A list is exec form, a string runs with the image's shell; a list already in Engine form is kept. */
export function healthcheckRequest(healthcheck: NonNullable<RunStep['healthcheck']>): HealthcheckRequest {
  return {
    test: healthcheckTest(healthcheck.test),
    intervalMs: optionalMs(healthcheck.interval),
    timeoutMs: optionalMs(healthcheck.timeout),
    retries: healthcheck.retries,
    startPeriodMs: optionalMs(healthcheck.startPeriod),
  };
}

function healthcheckTest(test: Command): string[] {
  if (typeof test === 'string') return ['CMD-SHELL', test];
  if (HEALTHCHECK_FORMS.has(test[0] ?? '')) return test;
  return ['CMD', ...test];
}

function optionalMs(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : durationMs(value);
}
