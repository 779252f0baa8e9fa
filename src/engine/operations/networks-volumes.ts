// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
//
// Networks and volumes: created with the run's labels, inspected by name.

import { runLabels } from '../../naming/labels';
import { InfraError } from '../../shared/errors';
import { isRecord } from '../../shared/records';
import type { NetworkDetails, VolumeDetails } from '../engine';
import { shortId } from '../format';
import { checkNetworkName, isIdOf, RESOURCE_NAME } from '../rules/guards';
import type { DockerClient } from '../transport/client';
import { asRawNetwork, asRawVolume, toNetworkDetails, toVolumeDetails } from '../wire/docker-mapping';

export async function createNetwork(
  client: DockerClient,
  request: {
    name: string;
    driver?: string;
    internal?: boolean;
    labels?: Record<string, string>;
  },
): Promise<string> {
  checkNetworkName(request.name);
  const created = await client.call(`create network ${request.name}`, (signal) =>
    client.dial({
      path: '/networks/create',
      method: 'POST',
      options: {
        Name: request.name,
        CheckDuplicate: true,
        Driver: request.driver ?? 'bridge',
        Internal: request.internal === true,
        // The run label last, so that no caller-supplied label can hide it from cleanup.
        Labels: { ...request.labels, ...runLabels(client.runId) },
      },
      abortSignal: signal,
      statusCodes: {
        200: true,
        201: true,
        400: 'bad parameter',
        403: 'operation not supported',
        404: 'plugin not found',
        409: 'name already in use',
        500: 'server error',
      },
    }),
  );
  if (!isRecord(created) || typeof created.Id !== 'string') {
    throw new InfraError(`Docker engine answered "create network ${request.name}" with something unexpected`);
  }
  return created.Id;
}

export async function inspectNetwork(
  client: DockerClient,
  nameOrId: string,
): Promise<NetworkDetails | undefined> {
  if (!RESOURCE_NAME.test(nameOrId)) return undefined;
  const raw = await client.inspectOrUndefined(`inspect network ${nameOrId}`, `/networks/${nameOrId}`);
  if (raw === undefined) return undefined;
  const network = toNetworkDetails(asRawNetwork(raw));
  return network.name === nameOrId || isIdOf(network.id, nameOrId) ? network : undefined;
}

export async function connectNetwork(
  client: DockerClient,
  network: string,
  containerId: string,
  aliases: string[] = [],
): Promise<void> {
  checkNetworkName(network);
  const what = `connect container ${shortId(containerId)} to network ${network}`;
  await client.call(what, (signal) =>
    client.dial({
      path: `/networks/${encodeURIComponent(network)}/connect`,
      method: 'POST',
      options: { Container: containerId, EndpointConfig: { Aliases: aliases } },
      abortSignal: signal,
      statusCodes: {
        200: true,
        400: 'bad parameter',
        403: 'operation not supported',
        404: 'no such network or container',
        500: 'server error',
      },
    }),
  );
}

export async function createVolume(
  client: DockerClient,
  request: { name: string; labels?: Record<string, string> },
): Promise<string> {
  if (!RESOURCE_NAME.test(request.name))
    throw new Error(`invalid volume name ${JSON.stringify(request.name)}`);
  const created = await client.call(`create volume ${request.name}`, (signal) =>
    client.dial({
      path: '/volumes/create',
      method: 'POST',
      // The run label last, so that no caller-supplied label can hide it from cleanup.
      options: { Name: request.name, Labels: { ...request.labels, ...runLabels(client.runId) } },
      abortSignal: signal,
      statusCodes: { 200: true, 201: true, 400: 'bad parameter', 500: 'server error' },
    }),
  );
  return asRawVolume(created).Name;
}

export async function inspectVolume(client: DockerClient, name: string): Promise<VolumeDetails | undefined> {
  if (!RESOURCE_NAME.test(name)) return undefined;
  const raw = await client.inspectOrUndefined(`inspect volume ${name}`, `/volumes/${name}`);
  return raw === undefined ? undefined : toVolumeDetails(asRawVolume(raw));
}
