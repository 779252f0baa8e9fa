// Cleanup: removes what carries the run's labels (and, until label-only cleanup, what a
// student's script created, by id).
import { DockerApiError } from '../errors';
import type { DockerClient } from './client';
import { deleteContainer } from './containers';
import type { CleanupReport, EngineInventory, ResourceFilter } from './engine';
import { isAlreadyGone } from './faults';
import { messageOf, oneLine, shortId } from './format';
import { checkedResource, IMAGE_REFERENCE } from './guards';
import { labelFilters, RUN_LABEL } from './labels';

const REMOVAL_CONCURRENCY = 4;

export async function removeResources(
  client: DockerClient,
  filter: ResourceFilter = {},
): Promise<CleanupReport> {
  const filters = {
    label: filter.allRuns ? [RUN_LABEL] : labelFilters(filter.runId ?? client.runId, filter.scope),
  };
  const report: CleanupReport = { containers: 0, networks: 0, volumes: 0, images: 0, failures: [] };
  // The first listing is allowed to throw: a daemon that cannot be reached is an InfraError.
  const containers = await client.call('list containers', (signal) =>
    client.docker.listContainers({ all: true, filters, abortSignal: signal }),
  );
  report.containers = await removeAll(client, report.failures, 'container', containers, REMOVAL_CONCURRENCY, {
    name: (item) => item.Names[0]?.replace(/^\//, '') ?? shortId(item.Id),
    remove: (item, signal) =>
      client.docker.getContainer(item.Id).remove({ force: true, v: true, abortSignal: signal }),
  });
  const networks = await listOrReport(client, report.failures, 'networks', (signal) =>
    client.docker.listNetworks({ filters, abortSignal: signal }),
  );
  report.networks = await removeAll(client, report.failures, 'network', networks, 1, {
    name: (item) => item.Name,
    remove: (item, signal) => client.docker.getNetwork(item.Id).remove({ abortSignal: signal }),
  });
  const volumes = await listOrReport(client, report.failures, 'volumes', async (signal) => {
    const listed = await client.docker.listVolumes({ filters, abortSignal: signal });
    return listed.Volumes ?? [];
  });
  report.volumes = await removeAll(client, report.failures, 'volume', volumes, 1, {
    name: (item) => item.Name,
    remove: (item, signal) => client.docker.getVolume(item.Name).remove({ force: true, abortSignal: signal }),
  });
  const images = await listOrReport(client, report.failures, 'images', (signal) =>
    client.docker.listImages({ filters, abortSignal: signal }),
  );
  // Newest first and one at a time: an image built FROM another of the run's images must go
  // before its parent, which the daemon refuses to delete while it has children.
  images.sort((a, b) => b.Created - a.Created);
  report.images = await removeAll(client, report.failures, 'image', images, 1, {
    name: (item) => item.RepoTags?.find((tag) => tag !== '<none>:<none>') ?? shortId(item.Id),
    remove: (item, signal) => client.docker.getImage(item.Id).remove({ force: true, abortSignal: signal }),
  });
  return report;
}

export async function inventory(client: DockerClient): Promise<EngineInventory> {
  const [containers, networks, volumes, images] = await Promise.all([
    client.call('list containers', (signal) =>
      client.docker.listContainers({ all: true, abortSignal: signal }),
    ),
    client.call('list networks', (signal) => client.docker.listNetworks({ abortSignal: signal })),
    client.call('list volumes', (signal) => client.docker.listVolumes({ abortSignal: signal })),
    client.call('list images', (signal) => client.docker.listImages({ abortSignal: signal })),
  ]);
  // Everything the grader creates is labelled with its run (another run's too, on a shared
  // engine): leaving labelled resources out means a script's before/after difference can never
  // adopt, and so remove, what a concurrent run created.
  const unlabelled = (labels: Record<string, string> | null | undefined): boolean =>
    labels?.[RUN_LABEL] === undefined;
  return {
    containers: containers.filter((item) => unlabelled(item.Labels)).map((item) => item.Id),
    networks: networks.filter((item) => unlabelled(item.Labels)).map((item) => item.Id),
    volumes: (volumes.Volumes ?? []).filter((item) => unlabelled(item.Labels)).map((item) => item.Name),
    images: images.filter((item) => unlabelled(item.Labels)).map((item) => item.Id),
  };
}

export async function removeByIds(
  client: DockerClient,
  inventory: Partial<EngineInventory>,
): Promise<CleanupReport> {
  const report: CleanupReport = { containers: 0, networks: 0, volumes: 0, images: 0, failures: [] };
  report.containers = await removeAll(
    client,
    report.failures,
    'container',
    inventory.containers ?? [],
    REMOVAL_CONCURRENCY,
    {
      name: shortId,
      remove: (id, signal) => deleteContainer(client, id, signal),
    },
  );
  report.networks = await removeAll(client, report.failures, 'network', inventory.networks ?? [], 1, {
    name: shortId,
    remove: (id, signal) =>
      client.docker.getNetwork(checkedResource('network', id)).remove({ abortSignal: signal }),
  });
  report.volumes = await removeAll(client, report.failures, 'volume', inventory.volumes ?? [], 1, {
    name: (name) => name,
    remove: (name, signal) =>
      client.docker.getVolume(checkedResource('volume', name)).remove({ force: true, abortSignal: signal }),
  });
  const images = await childrenFirst(client, report.failures, inventory.images ?? []);
  report.images = await removeAll(client, report.failures, 'image', images, 1, {
    name: shortId,
    remove: (id, signal) => {
      if (!IMAGE_REFERENCE.test(id))
        throw new DockerApiError(`remove image: no such image: ${JSON.stringify(id)}`, 404);
      return client.docker.getImage(id).remove({ force: true, abortSignal: signal });
    },
  });
  return report;
}

/**
 * Images to remove, children before their parents: the daemon refuses (even forced) to delete an
 * image that has children. Deeper in the classic builder's parent chain first, then newest
 * first (Created has a one-second grain); ids it does not list last.
 */
async function childrenFirst(client: DockerClient, failures: string[], ids: string[]): Promise<string[]> {
  if (ids.length < 2) return ids;
  const listed = await listOrReport(client, failures, 'images', (signal) =>
    client.docker.listImages({ all: true, abortSignal: signal }),
  );
  const byId = new Map(listed.map((image) => [image.Id, image]));
  const find = (id: string) => byId.get(id) ?? byId.get(`sha256:${id}`);
  const depthOf = (id: string): number => {
    let depth = 0;
    const seen = new Set<string>();
    for (let image = find(id); image?.ParentId && !seen.has(image.Id); image = byId.get(image.ParentId)) {
      seen.add(image.Id);
      depth += 1;
    }
    return depth;
  };
  const key = (id: string) => ({
    known: find(id) !== undefined,
    depth: depthOf(id),
    created: find(id)?.Created ?? 0,
  });
  return [...ids].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x.known !== y.known) return x.known ? -1 : 1;
    return y.depth - x.depth || y.created - x.created;
  });
}

async function listOrReport<T>(
  client: DockerClient,
  failures: string[],
  kind: string,
  list: (signal: AbortSignal) => Promise<T[]>,
): Promise<T[]> {
  try {
    return await client.call(`list ${kind}`, list);
  } catch (error) {
    failures.push(oneLine(messageOf(error)));
    return [];
  }
}

/** Removes each item; returns how many are gone. 404 counts as gone, anything else is reported. */
async function removeAll<T>(
  client: DockerClient,
  failures: string[],
  kind: string,
  items: T[],
  concurrency: number,
  how: { name: (item: T) => string; remove: (item: T, signal: AbortSignal) => Promise<unknown> },
): Promise<number> {
  let gone = 0;
  await forEachLimited(items, concurrency, async (item) => {
    const name = how.name(item);
    try {
      await client.call(`remove ${kind} ${name}`, (signal) => how.remove(item, signal));
      gone += 1;
    } catch (error) {
      if (isAlreadyGone(error)) gone += 1;
      // The message already names the call, e.g. "remove network x: ...".
      else failures.push(oneLine(messageOf(error)));
    }
  });
  return gone;
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
