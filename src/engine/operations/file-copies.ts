// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
//
// Files in and out of containers through the archive API: reading a path, copying host files in,
// and copying between two containers.
import type { Readable } from 'node:stream';
import { DockerApiError } from '../../shared/errors';
import type { PathEntry } from '../engine';
import { shortId } from '../format';
import { containerUrl } from '../rules/guards';
import type { DockerClient } from '../transport/client';
import { asReadable } from '../transport/streams';
import { ByteCap, HostCopyError, packHostPath, readFirstEntry } from '../wire/archive';

const MIB = 1024 * 1024;
/** The most copyBetween passes from one container to another. */
const MAX_COPY_BYTES = 100 * MIB;

export async function readPath(
  client: DockerClient,
  containerId: string,
  pathInContainer: string,
  maxBytes: number,
): Promise<PathEntry | undefined> {
  const what = `read ${pathInContainer} in container ${shortId(containerId)}`;
  try {
    return await client.idempotentCall(what, async (signal) => {
      const archive = await getArchive(client, containerId, pathInContainer, signal, what);
      return readFirstEntry(archive, maxBytes);
    });
  } catch (error) {
    // 404 is also what a missing container gets: that one is an error, not a missing path.
    if (
      error instanceof DockerApiError &&
      error.statusCode === 404 &&
      !/no such container/i.test(error.message)
    )
      return undefined;
    throw error;
  }
}

export async function copyInto(
  client: DockerClient,
  containerId: string,
  hostPath: string,
  targetDir: string,
): Promise<void> {
  const what = `copy ${hostPath} to ${targetDir} in container ${shortId(containerId)}`;
  let tarball: Readable;
  try {
    tarball = await packHostPath(hostPath);
  } catch (error) {
    if (error instanceof HostCopyError) throw new Error(`${what}: ${error.message}`);
    throw error;
  }
  try {
    await client.call(
      what,
      (signal) => putArchive(client, containerId, targetDir, tarball, signal, what),
      client.transferTimeoutMs,
    );
  } finally {
    tarball.destroy();
  }
}

export async function copyBetween(
  client: DockerClient,
  fromId: string,
  fromPath: string,
  toId: string,
  targetDir: string,
): Promise<void> {
  const what = `copy ${fromPath} of container ${shortId(fromId)} to ${targetDir} in container ${shortId(toId)}`;
  const capped = new ByteCap(MAX_COPY_BYTES);
  const sources: Readable[] = [];
  try {
    await client.call(
      what,
      async (signal) => {
        const source = await getArchive(client, fromId, fromPath, signal, what);
        sources.push(source);
        source.on('error', (error) => capped.destroy(error));
        source.pipe(capped);
        await putArchive(client, toId, targetDir, capped, signal, what);
      },
      client.transferTimeoutMs,
    );
  } catch (error) {
    if (capped.exceeded)
      throw new Error(`${what}: larger than ${MAX_COPY_BYTES / MIB} MiB, the copy was stopped`);
    throw error;
  } finally {
    for (const source of sources) source.destroy();
    capped.destroy();
  }
}

/** The archive endpoint of a container for `pathInContainer` (named `noun` when it is invalid). */
function archiveEndpoint(
  containerId: string,
  pathInContainer: string,
  what: string,
  noun: 'path' | 'target folder',
): { path: string; options: { path: string } } {
  if (pathInContainer === '' || pathInContainer.includes('\0')) {
    throw new Error(`${what}: invalid ${noun} ${JSON.stringify(pathInContainer)}`);
  }
  return { path: `${containerUrl(containerId, what)}/archive?`, options: { path: pathInContainer } };
}

/** The tar of a container path (the path itself first), destroyed when `signal` fires. */
async function getArchive(
  client: DockerClient,
  containerId: string,
  pathInContainer: string,
  signal: AbortSignal,
  what: string,
): Promise<Readable> {
  const archive = asReadable(
    await client.dial({
      ...archiveEndpoint(containerId, pathInContainer, what, 'path'),
      method: 'GET',
      isStream: true,
      abortSignal: signal,
      statusCodes: { 200: true, 400: 'bad parameter', 404: 'not found', 500: 'server error' },
    }),
  );
  if (signal.aborted) archive.destroy();
  else signal.addEventListener('abort', () => archive.destroy(), { once: true });
  return archive;
}

async function putArchive(
  client: DockerClient,
  containerId: string,
  targetDir: string,
  body: Readable,
  signal: AbortSignal,
  what: string,
): Promise<void> {
  await client.dial({
    ...archiveEndpoint(containerId, targetDir, what, 'target folder'),
    method: 'PUT',
    file: body,
    abortSignal: signal,
    statusCodes: {
      200: true,
      400: 'bad parameter',
      403: 'permission denied (read-only file system)',
      404: 'not found',
      500: 'server error',
    },
  });
}
