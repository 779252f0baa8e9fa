// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
//
// Images: building from a submission's context (the classic builder), inspecting, and pulling
// the grader's own helper images.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { isRunReference } from '../../naming/image-references';
import { runLabels } from '../../naming/labels';
import { DockerApiError, errorMessage, InfraError } from '../../shared/errors';
import type { BuildRequest, BuildResult, ImageDetails } from '../engine';
import { classicBuilderRefused, identifyEngine, noClassicBuilderMessage } from '../engine-kind';
import { daemonMessage, statusOf } from '../faults';
import { formatSeconds, oneLine } from '../format';
import {
  BUILD_LIMITS,
  type BuildCgroup,
  buildLimitParameters,
  cgroupParentPossibleFor,
  openRunBuildCgroup,
} from '../rules/build-profile';
import { dockerfileRefusals, type ImageStanding, imageStanding } from '../rules/build-rules';
import { IMAGE_REFERENCE } from '../rules/guards';
import type { DockerClient } from '../transport/client';
import { asReadable, followStream, type StreamOutcome } from '../transport/streams';
import { BuildContextError, type PackedContext, packBuildContext } from '../wire/build-context';
import { BuildProgress } from '../wire/build-progress';
import { asRawImage, type RawImage, realTags, toImageDetails } from '../wire/docker-mapping';

/**
 * The daemon's words when a layer the build took from the cache was removed under it: another
 * build on the same engine discarded its intermediates (as this file does after each build)
 * between the cache lookup and its use. The engine's timing, never the student's Dockerfile.
 */
const LOST_CACHE_LAYER = /unknown parent image ID|failed to set parent|No such image: sha256:/i;

/** How a shell or runtime reports a fork refused by the pids limit (EAGAIN). */
const FORK_REFUSED =
  /can't fork|fork: (?:retry: )?Resource temporarily unavailable|Resource temporarily unavailable/i;

export async function buildImage(client: DockerClient, request: BuildRequest): Promise<BuildResult> {
  const first = await buildOnce(client, request);
  if (first.ok || !LOST_CACHE_LAYER.test(first.error)) return first;
  request.onLine?.('(a cached layer was removed by another build on this engine: building again)');
  const second = await buildOnce(client, request);
  if (second.ok || !LOST_CACHE_LAYER.test(second.error)) return second;
  throw new InfraError(
    `the build of ${request.tag} lost a cached layer twice to other builds on this engine: ${oneLine(second.error)}`,
  );
}

async function buildOnce(client: DockerClient, request: BuildRequest): Promise<BuildResult> {
  let packed: PackedContext;
  try {
    packed = await packBuildContext(request.contextDir, request.dockerfile);
  } catch (error) {
    if (error instanceof BuildContextError) return { ok: false, error: error.message, log: '' };
    throw new InfraError(
      `cannot read the build context ${request.contextDir}: ${oneLine(errorMessage(error))}`,
    );
  }
  const refusals = await checkDockerfile(client, request, packed.dockerfile);
  if (refusals.length > 0) {
    packed.stream.destroy();
    return { ok: false, error: refusals.join('; '), log: '' };
  }
  const cgroup = await holdBuild(client);
  try {
    const result = await buildPacked(client, request, packed, cgroup);
    // A fork refused for the limit reads "can't fork: Resource temporarily unavailable": say why.
    if (result.ok || cgroup === undefined || !FORK_REFUSED.test(result.log)) return result;
    return {
      ...result,
      error: `${result.error} (a fork failed: the build may run at most ${BUILD_LIMITS.pids} processes at once)`,
    };
  } finally {
    await cgroup?.close();
  }
}

/**
 * The Dockerfile read before anything is sent: no ADD from a URL, no image of another run, no
 * private registry (build-rules.ts). The text is the one packed: the context is the student's
 * and is not changed by the grader between the two reads.
 */
async function checkDockerfile(
  client: DockerClient,
  request: BuildRequest,
  dockerfile: string,
): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path.join(request.contextDir, dockerfile), 'utf8');
  } catch (error) {
    return [`cannot read ${dockerfile}: ${oneLine(errorMessage(error))}`];
  }
  return dockerfileRefusals(text, {
    buildArgs: request.buildArgs,
    dockerfileName: dockerfile,
    standing: (reference) => standingOf(client, reference),
  });
}

async function standingOf(client: DockerClient, reference: string): Promise<ImageStanding> {
  const raw = await rawImage(client, reference);
  if (raw === undefined) return 'missing';
  return imageStanding(
    { labels: raw.Config?.Labels ?? {}, repoTags: raw.RepoTags ?? [] },
    { runId: client.runId },
  );
}

/** Whether the grader can make build cgroups for this engine: asked once per client. */
const cgroupSupport = new WeakMap<DockerClient, Promise<boolean>>();

/**
 * The cgroup that holds this build's RUN containers to the pids, memory and CPU limits
 * (build-profile.ts), or undefined where the grader cannot make one: the build then has the
 * memory and CPU limits of each RUN container, and no pids bound (docs/decisions.md).
 */
async function holdBuild(client: DockerClient): Promise<BuildCgroup | undefined> {
  let possible = cgroupSupport.get(client);
  if (possible === undefined) {
    possible = client
      .engineWide('/info')
      .then((info: unknown) => cgroupParentPossibleFor(info, client.connection.onThisMachine))
      .catch(() => false);
    cgroupSupport.set(client, possible);
  }
  if (!(await possible)) return undefined;
  return openRunBuildCgroup(client.runId);
}

async function buildPacked(
  client: DockerClient,
  request: BuildRequest,
  packed: PackedContext,
  cgroup: BuildCgroup | undefined,
): Promise<BuildResult> {
  const progress = new BuildProgress(request.onLine);
  const startedAt = Date.now();
  const unlabelled = buildsUnlabelled(client, request);
  // An unlabelled image that loses its only name to this build could never be found again.
  const previous = unlabelled ? (await rawImage(client, request.tag))?.Id : undefined;
  const result = await runBuild(
    client,
    packed,
    { ...request, labels: unlabelled ? undefined : request.labels },
    progress,
    { unlabelled, cgroupParent: cgroup?.parent },
  );
  if (previous !== undefined && result.ok && result.imageId !== previous)
    await discardNameless(client, previous);
  await discardIntermediates(
    client,
    progress.createdImages,
    result.ok ? result.imageId : undefined,
    startedAt,
  );
  return result;
}

/**
 * Each build label costs the classic builder a LABEL step, an uncached container commit (the
 * run id differs every run). A build into the run's own reference namespace that asks for no
 * labels gets none: cleanup finds it by its tag. Any other tag keeps the run labels.
 */
function buildsUnlabelled(client: DockerClient, request: BuildRequest): boolean {
  return request.labels === undefined && isRunReference(request.tag, client.runId);
}

/** Removes (without force) an image this run's tag held, if that was its last name. */
async function discardNameless(client: DockerClient, id: string): Promise<void> {
  try {
    const raw = await rawImage(client, id);
    if (raw === undefined || realTags(raw).length > 0) return;
    await client.idempotentCall(`remove replaced image ${id}`, (signal) =>
      client.docker.getImage(raw.Id).remove({ abortSignal: signal }),
    );
  } catch {
    // Best effort: the daemon refuses while a container or a child image uses it.
  }
}

interface BuildOptions {
  unlabelled: boolean;
  cgroupParent: string | undefined;
}

async function runBuild(
  client: DockerClient,
  packed: PackedContext,
  request: BuildRequest,
  progress: BuildProgress,
  options: BuildOptions,
): Promise<BuildResult> {
  const { controller, done } = client.deadline(request.timeoutMs);
  try {
    const outcome = await streamBuild(client, packed, request, progress, controller.signal, options);
    progress.finish();
    if (outcome === 'timeout') {
      // The build's time limit is the student's only while the engine was there to build.
      await client.ensureAnswering('the build timed out');
      return {
        ok: false,
        error: `build timed out after ${formatSeconds(request.timeoutMs)}`,
        log: progress.log(),
      };
    }
    if (progress.error !== undefined) return { ok: false, error: progress.error, log: progress.log() };
    const image = await rawImage(client, request.tag);
    if (image === undefined)
      throw new InfraError(`the build of ${request.tag} succeeded but the image is missing`);
    return { ok: true, imageId: image.Id, log: progress.log() };
  } finally {
    done();
    packed.stream.destroy();
  }
}

/**
 * The classic builder keeps each layer it commits as an untagged, unlabelled image. After a
 * failed build, and for the other stages of a multi-stage build, nothing would ever remove
 * them, so they go now. Only untagged images created since the build started are touched
 * (without force), so a forged " ---> <id>" line in RUN output cannot delete anything else;
 * ancestors of the result are refused by the daemon as "has dependent child images".
 */
async function discardIntermediates(
  client: DockerClient,
  ids: string[],
  keep: string | undefined,
  startedAt: number,
): Promise<void> {
  for (const id of [...ids].reverse()) {
    if (keep?.replace(/^sha256:/, '').startsWith(id)) continue;
    try {
      const raw = await rawImage(client, id);
      if (raw === undefined || realTags(raw).length > 0 || !createdSince(raw.Created, startedAt)) continue;
      await client.idempotentCall(`remove intermediate image ${id}`, (signal) =>
        client.docker.getImage(raw.Id).remove({ abortSignal: signal }),
      );
    } catch {
      // Best effort: it is cache, and the build's own result is what matters.
    }
  }
}

/** Uploads the context and follows the progress stream to its end or to the deadline. */
async function streamBuild(
  client: DockerClient,
  packed: PackedContext,
  request: BuildRequest,
  progress: BuildProgress,
  signal: AbortSignal,
  { unlabelled, cgroupParent }: BuildOptions,
): Promise<StreamOutcome> {
  // Which engine this is, from the answer DockerEngine.info() read too; unknown is Docker.
  const product = identifyEngine(await client.version().catch(() => undefined)).product;
  const ulimitFormat = product === 'podman' ? 'podman' : 'docker';
  let response: Readable;
  try {
    response = asReadable(
      await client.docker.buildImage(packed.stream, {
        t: request.tag,
        dockerfile: packed.dockerfile,
        // Left out when there are none: dockerode sends an absent value as `buildargs=`, which
        // Docker reads as none and Podman refuses (400, no message) as JSON it cannot parse.
        ...(request.buildArgs === undefined ? {} : { buildargs: request.buildArgs }),
        ...(request.target === undefined ? {} : { target: request.target }),
        ...(unlabelled ? {} : { labels: { ...request.labels, ...runLabels(client.runId) } }),
        rm: true,
        forcerm: true,
        // The classic builder: the only one everywhere, and the one whose errors we parse.
        version: '1',
        // RUN containers held to the profile: memory, CPU, ulimits, default network, and the
        // pids bound of the cgroup parent when there is one (build-profile.ts).
        ...buildLimitParameters(BUILD_LIMITS, cgroupParent, ulimitFormat),
        abortSignal: signal,
      }),
    );
  } catch (error) {
    if (signal.aborted) return 'timeout';
    return refusedBuild(client, error, progress);
  }
  try {
    return await followStream(response, signal, { onData: (chunk) => progress.push(chunk) });
  } catch (error) {
    throw client.translate(error, 'build');
  }
}

/** A /build refused before any output (e.g. a Dockerfile parse error) is the student's failure. */
function refusedBuild(client: DockerClient, error: unknown, progress: BuildProgress): StreamOutcome {
  // An engine without the classic builder cannot run the grader's builds at all: its fault,
  // never the student's Dockerfile, whatever status it answers with (20.10 answers an unknown
  // builder version with 500, 26 with 400): docs/engines.md.
  const message = oneLine(daemonMessage(error));
  if (statusOf(error) !== undefined && classicBuilderRefused(message)) {
    throw new InfraError(noClassicBuilderMessage(client.endpoint, message));
  }
  const translated = client.translate(error, 'build');
  if (!(translated instanceof DockerApiError)) throw translated;
  progress.fail(daemonMessage(error));
  return 'done';
}

export async function inspectImage(client: DockerClient, ref: string): Promise<ImageDetails | undefined> {
  const raw = await rawImage(client, ref);
  return raw && toImageDetails(raw);
}

async function rawImage(client: DockerClient, ref: string): Promise<RawImage | undefined> {
  // Nothing outside the reference grammar can name an image, and it must not reach the URL.
  if (!IMAGE_REFERENCE.test(ref)) return undefined;
  try {
    return await client.idempotentCall(`inspect image ${ref}`, async (signal) =>
      asRawImage(
        await client.dial({
          path: `/images/${ref}/json`,
          method: 'GET',
          abortSignal: signal,
          statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such image', 500: 'server error' },
        }),
      ),
    );
  } catch (error) {
    // 400: "invalid reference format", a name no image can have.
    if (error instanceof DockerApiError && (error.statusCode === 404 || error.statusCode === 400))
      return undefined;
    throw error;
  }
}

export async function ensureImage(client: DockerClient, ref: string, timeoutMs: number): Promise<void> {
  if (!IMAGE_REFERENCE.test(ref))
    throw new InfraError(`${JSON.stringify(ref)} is not a valid image reference`);
  if ((await rawImage(client, ref)) !== undefined) return;
  const failure = (reason: string): InfraError =>
    new InfraError(`image ${ref} is not on the engine and could not be pulled: ${oneLine(reason)}`);
  const progress = new BuildProgress();
  const { controller, done } = client.deadline(timeoutMs);
  let outcome: StreamOutcome;
  try {
    const stream = asReadable(
      await client.dial({
        path: '/images/create?',
        method: 'POST',
        options: pullQuery(ref),
        isStream: true,
        abortSignal: controller.signal,
        statusCodes: {
          200: true,
          400: 'bad parameter',
          404: 'no such image or repository',
          500: 'server error',
        },
      }),
    );
    // Errors arrive inside the 200 stream as {"error": ..., "errorDetail": ...} lines.
    outcome = await followStream(stream, controller.signal, { onData: (chunk) => progress.push(chunk) });
  } catch (error) {
    if (controller.signal.aborted) outcome = 'timeout';
    else {
      // The daemon answered (4xx or 5xx: no such image, registry unreachable): say which image.
      if (statusOf(error) === undefined) throw client.translate(error, `pull ${ref}`);
      throw failure(daemonMessage(error));
    }
  } finally {
    done();
  }
  if (outcome === 'timeout') throw failure(`no result within ${formatSeconds(timeoutMs)}`);
  progress.finish();
  if (progress.error !== undefined) throw failure(progress.error);
  if ((await rawImage(client, ref)) === undefined) throw failure('the pull ended without the image');
}

/** Some slack for a daemon whose clock is a little off from ours. */
const CLOCK_SLACK_MS = 60_000;

function createdSince(created: string | null | undefined, since: number): boolean {
  const time = created ? Date.parse(created) : Number.NaN;
  return Number.isFinite(time) && time >= since - CLOCK_SLACK_MS;
}

/** /images/create's query: a tag (default latest, else every tag is pulled) or a digest. */
function pullQuery(ref: string): Record<string, string> {
  if (ref.includes('@')) return { fromImage: ref };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: 'latest' };
}
