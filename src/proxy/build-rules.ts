// Builds a student's script makes through the policy proxy, held to the profile of the grader's
// own builds (src/engine/rules/build-profile.ts, build-rules.ts): the query's network mode, the
// limits and the cgroup parent, and the Dockerfile read out of the uploaded context before the
// engine sees any of it. The context is spooled to a file of the grader's (bounded), read, then
// sent from that file: what the engine builds is exactly what was read.
import { lookup } from 'node:dns/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  BUILD_LIMITS,
  type BuildCgroup,
  buildLimitParameters,
  cgroupParentPossibleFor,
  openRunBuildCgroup,
} from '../engine/rules/build-profile';
import {
  dockerfileRefusals,
  type ImageFacts,
  imageStanding,
  registryHostOf,
  resolvedHostRefusal,
  serverAddressHost,
} from '../engine/rules/build-rules';
import { DEFAULT_MAX_CONTEXT_BYTES } from '../engine/wire/build-context';

/** A Dockerfile larger than this is not read (nor built). */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;

/** Network modes a build may ask for: the engine's default bridge, or none at all. */
const BUILD_NETWORKS = new Set(['', 'default', 'bridge', 'none']);

/**
 * Why the query of POST /build is refused, or undefined: a network mode other than the default.
 * The host network is the runner's own; a network of the student's, or another container's
 * namespace, would let RUN steps reach what is served there while the image is built.
 */
export function buildQueryRefusal(query: URLSearchParams): string | undefined {
  const networkMode = query.get('networkmode') ?? '';
  if (BUILD_NETWORKS.has(networkMode)) return undefined;
  const shown = networkMode.length > 80 ? `${networkMode.slice(0, 80)}...` : networkMode;
  return `build network ${shown} is not allowed (--network host, --network NAME): builds use the default network`;
}

/** The query with the build profile's limits, network and cgroup parent in place of the student's. */
export function heldBuildQuery(query: URLSearchParams, cgroupParent?: string): URLSearchParams {
  const result = new URLSearchParams(query);
  for (const [key, value] of Object.entries(buildLimitParameters(BUILD_LIMITS, cgroupParent)))
    result.set(key, value);
  if (cgroupParent === undefined) result.delete('cgroupparent');
  return result;
}

/** The Dockerfile's path in the context as /build names it (default Dockerfile), normalised. */
export function dockerfileEntryName(query: URLSearchParams): string {
  const asked = query.get('dockerfile') || 'Dockerfile';
  return path.posix.normalize(asked.replace(/^\/+/, '')).replace(/^\.\//, '');
}

export class ContextRefusal extends Error {
  override name = 'ContextRefusal';
}

/** What the proxy needs to hold a build. */
export interface BuildHoldOptions {
  runId: string;
  scope: string;
  /** The engine's inspection of an image (GET /images/{ref}/json), undefined when missing. */
  imageDetails: (reference: string) => Promise<Record<string, unknown> | undefined>;
  /** GET /info of the engine (CgroupDriver, CgroupVersion), for the cgroup parent. */
  engineInfo: () => Promise<Record<string, unknown> | undefined>;
  maxContextBytes?: number;
}

export interface HeldBuild {
  query: URLSearchParams;
  /** The context to send, as it was read. */
  upload: () => Readable;
  /** Removes the spooled context and the build's cgroup: call once the request is over. */
  release: () => Promise<void>;
}

/**
 * Spools the uploaded context, reads its Dockerfile and refuses what the grader's own builds
 * refuse (throws ContextRefusal with the Dockerfile line), then gives the query held to the
 * profile, with a cgroup parent where the engine allows one.
 */
export async function holdBuild(
  body: Readable,
  query: URLSearchParams,
  options: BuildHoldOptions,
): Promise<HeldBuild> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'docker-autograder-build-'));
  const file = path.join(directory, 'context');
  let cgroup: BuildCgroup | undefined;
  const release = async (): Promise<void> => {
    await cgroup?.close();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await spool(body, file, options.maxContextBytes ?? DEFAULT_MAX_CONTEXT_BYTES);
    const name = dockerfileEntryName(query);
    const text = await readEntry(file, name);
    const refusals = await dockerfileRefusals(text, {
      buildArgs: buildArgs(query),
      dockerfileName: name,
      standing: async (reference) =>
        imageStanding(factsOf(await options.imageDetails(reference)), {
          runId: options.runId,
          scope: options.scope,
        }),
    });
    if (refusals.length > 0) throw new ContextRefusal(refusals.join('; '));
    cgroup = await proxyCgroup(options);
    return {
      query: heldBuildQuery(query, cgroup?.parent),
      upload: () => createReadStream(file),
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

async function proxyCgroup(options: BuildHoldOptions): Promise<BuildCgroup | undefined> {
  const info = await options.engineInfo().catch(() => undefined);
  // The proxy's engine is always on this machine (steps/engine-gate.ts).
  if (!cgroupParentPossibleFor(info, true)) return undefined;
  return openRunBuildCgroup(options.runId);
}

function factsOf(raw: Record<string, unknown> | undefined): ImageFacts | undefined {
  if (raw === undefined) return undefined;
  const config =
    typeof raw.Config === 'object' && raw.Config !== null ? (raw.Config as Record<string, unknown>) : {};
  const labels: Record<string, string> = {};
  if (typeof config.Labels === 'object' && config.Labels !== null) {
    for (const [key, value] of Object.entries(config.Labels))
      if (typeof value === 'string') labels[key] = value;
  }
  const repoTags = Array.isArray(raw.RepoTags)
    ? raw.RepoTags.filter((tag): tag is string => typeof tag === 'string')
    : [];
  return { labels, repoTags };
}

function buildArgs(query: URLSearchParams): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(query.get('buildargs') || '{}');
    if (typeof parsed !== 'object' || parsed === null) return {};
    const result: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') result[key] = value;
    return result;
  } catch {
    return {};
  }
}

/** Writes the body to `file`, refusing it past `maxBytes`. */
async function spool(body: Readable, file: string, maxBytes: number): Promise<void> {
  let size = 0;
  const output = createWriteStream(file, { mode: 0o600 });
  try {
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > maxBytes) {
            throw new ContextRefusal(
              `the build context is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB: add a .dockerignore`,
            );
          }
          yield chunk;
        }
      },
      output,
    );
  } catch (error) {
    body.resume();
    throw error;
  }
}

/** gzip is what the docker CLI sends with --compress; the engine takes bzip2 and xz too. */
async function compression(file: string): Promise<'none' | 'gzip' | 'other'> {
  const handle = await open(file, 'r');
  try {
    const magic = Buffer.alloc(6);
    const { bytesRead } = await handle.read(magic, 0, 6, 0);
    if (bytesRead >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
    if (bytesRead >= 3 && magic.subarray(0, 3).toString('latin1') === 'BZh') return 'other';
    if (bytesRead >= 6 && magic.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'other';
    return 'none';
  } finally {
    await handle.close();
  }
}

/** The text of the context's entry `name` (a regular file, within MAX_DOCKERFILE_BYTES). */
async function readEntry(file: string, name: string): Promise<string> {
  const kind = await compression(file);
  if (kind === 'other') {
    throw new ContextRefusal(
      'a build context compressed with bzip2 or xz is not read: send it as tar or gzip',
    );
  }
  const extract = tar.extract();
  // The engine reads `name`, or for the default name its lower-case spelling when it is absent;
  // of several entries with one name, the last is what its extraction leaves.
  const wanted = name === 'Dockerfile' ? [name, 'dockerfile'] : [name];
  const texts = new Map<string, string>();
  let problem: string | undefined;
  extract.on('entry', (header, stream, next) => {
    const entry = path.posix.normalize(header.name.replace(/^\/+/, '')).replace(/^\.\//, '');
    if (!wanted.includes(entry)) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    if (header.type !== 'file') problem = `${entry} in the build context is not a regular file`;
    else if ((header.size ?? 0) > MAX_DOCKERFILE_BYTES)
      problem = `${entry} is larger than ${MAX_DOCKERFILE_BYTES / 1024 / 1024} MiB`;
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (problem === undefined) chunks.push(chunk);
    });
    stream.on('end', () => {
      texts.set(entry, Buffer.concat(chunks).toString('utf8'));
      next();
    });
  });
  const source = createReadStream(file);
  try {
    await pipeline(kind === 'gzip' ? source.pipe(createGunzip()) : source, extract);
  } catch (error) {
    throw new ContextRefusal(
      `the build context is not a readable tar archive: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (problem !== undefined) throw new ContextRefusal(problem);
  const text = wanted.map((candidate) => texts.get(candidate)).find((found) => found !== undefined);
  if (text === undefined) throw new ContextRefusal(`no ${name} in the build context`);
  return text;
}

/**
 * Why a registry call (pull, login, search, distribution) is refused, or undefined: the engine
 * would connect to the registry host from the runner's network namespace, so a loopback,
 * private or link-local host (by address, or by what its name resolves to here) is refused
 * before the engine is asked (src/engine/rules/build-rules.ts, registryHostRefusal).
 */
export async function registryCallRefusal(
  call: { kind: 'reference'; reference: string } | { kind: 'server'; address: string },
  resolve: (host: string) => Promise<string[]> = resolveAll,
): Promise<string | undefined> {
  const host = call.kind === 'reference' ? registryHostOf(call.reference) : serverAddressHost(call.address);
  return resolvedHostRefusal(host, resolve);
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((answer) => answer.address);
}
