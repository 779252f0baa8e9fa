// The image student scripts and compose files run in: bash, coreutils, the docker CLI (23 or
// newer, so that `-v ./html:/x` works) and Compose v2 as `docker compose`. Where the engine has
// `docker-autograder/client:1` (the offline stand-in of scripts/build-base-images.sh, or an
// image a lab preloaded), that is used. Otherwise it is built on the spot from the official
// docker:cli image, which is Alpine with the CLI and Compose but without bash.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../engine/engine';
import { InfraError } from '../errors';

export const CLIENT_IMAGE = 'docker-autograder/client:1';
export const CLIENT_DOCKERFILE = [
  'FROM docker:27-cli',
  'RUN apk add --no-cache bash coreutils',
  'CMD ["bash"]',
  '',
].join('\n');
const BUILD_TIMEOUT_MS = 5 * 60_000;

const images = new WeakMap<Engine, Promise<string>>();

/** The client image's reference on this engine; built once per run when the engine lacks it. */
export function clientImage(engine: Engine): Promise<string> {
  let image = images.get(engine);
  if (image === undefined) {
    image = findOrBuild(engine).catch((error: unknown) => {
      images.delete(engine);
      throw error;
    });
    images.set(engine, image);
  }
  return image;
}

async function findOrBuild(engine: Engine): Promise<string> {
  if ((await engine.inspectImage(CLIENT_IMAGE)) !== undefined) return CLIENT_IMAGE;
  // A tag of the run's own: it carries the run labels and goes with the run's cleanup, so two
  // gradings sharing an engine never remove each other's client image.
  const tag = `docker-autograder/client:1-${engine.runId.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-')}`;
  const contextDir = await mkdtemp(path.join(os.tmpdir(), 'docker-autograder-client-'));
  try {
    await writeFile(path.join(contextDir, 'Dockerfile'), CLIENT_DOCKERFILE);
    const result = await engine.build({
      contextDir,
      dockerfile: 'Dockerfile',
      tag,
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    if (!result.ok) {
      throw new InfraError(
        `the client image for student scripts (${CLIENT_IMAGE}) is missing and could not be built from docker:27-cli: ${result.error}`,
      );
    }
    return tag;
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }
}
