// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
// Cleanup: what a run (or one scope of it, or every run) left, containers, networks and volumes by
// their labels, the grader's own images by their tags (naming/image-references.ts).
import { runReferences } from '../../naming/image-references';
import { labelFilters, RUN_LABEL } from '../../naming/labels';
import { errorMessage } from '../../shared/errors';
import type { CleanupReport, ResourceFilter } from '../engine';
import { familiarReference } from '../engine-kind';
import { isAlreadyGone } from '../faults';
import { oneLine, shortId } from '../format';
import type { DockerClient } from '../transport/client';

const REMOVAL_CONCURRENCY = 4;

export async function removeResources(
  client: DockerClient,
  filter: ResourceFilter = {},
): Promise<CleanupReport> {
  const filters = {
    label: filter.allRuns ? [RUN_LABEL] : labelFilters(filter.runId ?? client.runId, filter.scope),
  };
  const report: CleanupReport = { containers: 0, networks: 0, volumes: 0, images: 0, failures: [] };
  if (filter.only !== 'images') await removeRuntime(client, filters, report);
  if (filter.only !== 'runtime') await removeImages(client, filters, filter, report);
  return report;
}

async function removeRuntime(
  client: DockerClient,
  filters: { label: string[] },
  report: CleanupReport,
): Promise<void> {
  // The first listing is allowed to throw: a daemon that cannot be reached is an InfraError.
  const containers = await client.idempotentCall('list containers', (signal) =>
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
}

async function removeImages(
  client: DockerClient,
  filters: { label: string[] },
  filter: ResourceFilter,
  report: CleanupReport,
): Promise<void> {
  report.images = await inPasses(report.failures, async (failures) => {
    const images = await listOrReport(client, failures, 'images', (signal) =>
      client.docker.listImages({ filters, abortSignal: signal }),
    );
    // Newest first and one at a time: an image built FROM another of the run's images must go
    // before its parent, which the daemon refuses to delete while it has children.
    images.sort((a, b) => b.Created - a.Created);
    return removeAll(client, failures, 'image', images, 1, {
      name: (item) => item.RepoTags?.find((tag) => tag !== '<none>:<none>') ?? shortId(item.Id),
      remove: (item, signal) => client.docker.getImage(item.Id).remove({ force: true, abortSignal: signal }),
    });
  });
  report.images += await removeReferences(client, report.failures, filter);
}

/**
 * The grader's own builds carry no labels (naming/image-references.ts): they are found by their run-owned tags
 * and only untagged, never forced. Such an image can have the same ID as another run's build
 * or a base image (`FROM nginx` alone); the daemon deletes it only when no name is left.
 */
async function removeReferences(
  client: DockerClient,
  failures: string[],
  filter: ResourceFilter,
): Promise<number> {
  const selection = runReferences(
    filter.allRuns ? 'allRuns' : { runId: filter.runId ?? client.runId, scope: filter.scope },
  );
  const images = await listOrReport(client, failures, 'image references', (signal) =>
    client.docker.listImages({ filters: { reference: selection.patterns }, abortSignal: signal }),
  );
  // Newest first: a rebuilt stage's tag goes before the tag of the image it was built from.
  images.sort((a, b) => b.Created - a.Created);
  // Not by label: builds FROM a stand-in inherit its label. The names decide.
  // Podman lists them as docker.io/…: matched, and removed, by the name the grader gave them.
  const references = images.flatMap((image) =>
    (image.RepoTags ?? []).map(familiarReference).filter(selection.matches),
  );
  return removeAll(client, failures, 'image', references, 1, {
    name: (reference) => reference,
    remove: (reference, signal) => client.docker.getImage(reference).remove({ abortSignal: signal }),
  });
}

/**
 * Images created in the same second have no order by creation time, so a parent can come
 * before its child and be refused ("has dependent child images"): what is left is tried again
 * while a pass removes something. Only the last pass's failures are reported.
 */
async function inPasses(failures: string[], pass: (failures: string[]) => Promise<number>): Promise<number> {
  let gone = 0;
  for (let attempt = 1; ; attempt += 1) {
    const passFailures: string[] = [];
    const removed = await pass(passFailures);
    gone += removed;
    if (passFailures.length === 0 || removed === 0 || attempt === 3) {
      failures.push(...passFailures);
      return gone;
    }
  }
}

async function listOrReport<T>(
  client: DockerClient,
  failures: string[],
  kind: string,
  list: (signal: AbortSignal) => Promise<T[]>,
): Promise<T[]> {
  try {
    return await client.idempotentCall(`list ${kind}`, list);
  } catch (error) {
    failures.push(oneLine(errorMessage(error)));
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
      await client.idempotentCall(`remove ${kind} ${name}`, (signal) => how.remove(item, signal));
      gone += 1;
    } catch (error) {
      if (isAlreadyGone(error)) gone += 1;
      // The message already names the call, e.g. "remove network x: ...".
      else failures.push(oneLine(errorMessage(error)));
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
