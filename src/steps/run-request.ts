// The engine's request for a run step's container: the step's volumes (named volumes made on
// first use, binds only from the submission), its networks (with the step's name as an alias)
// and its healthcheck, in the Engine interface's terms.
import type { ContainerRequest, HealthcheckRequest, MountRequest, NetworkAttachment } from '../engine/engine';
import { ENGINE_NETWORKS } from '../naming/engine-networks';
import { scopeLabels } from '../naming/labels';
import { containerName, resourceName } from '../naming/resource-names';
import type { Failure, RunContext } from '../run/context';
import { errorMessage, InfraError } from '../shared/errors';
import { durationMs } from '../spec/duration';
import type { Command, VolumeMount } from '../spec/types';
import { commandArgv, textValues } from '../spec/values';
import type { RunStep } from './kinds/run';
import { submissionPath } from './paths';

/** The request that creates the step's container from `image` (already resolved to the engine's). */
export async function containerRequest(
  step: RunStep,
  image: string,
  context: RunContext,
): Promise<ContainerRequest | { failure: Failure }> {
  const mounts: MountRequest[] = [];
  for (const volume of step.volumes ?? []) {
    const mount = await mountRequest(parseVolumeMount(volume), step.name, context);
    if ('failure' in mount) return mount;
    mounts.push(mount);
  }
  return {
    name: containerName(context.scope, step.name),
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
}

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
