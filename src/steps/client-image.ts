// The image student scripts and compose files run in: bash, coreutils, the docker CLI (23 or
// newer, so that `-v ./html:/x` works) and Compose v2 as `docker compose`. Where the engine has
// `docker-autograder/client:1` (the offline stand-in of scripts/build-base-images.sh, or an
// image a lab preloaded), that is used. Otherwise it is built on the spot from the official
// docker:cli image, which is Alpine with the CLI and Compose but without bash.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../engine/engine';
import { clientImageTag } from '../naming/image-references';
import { InfraError } from '../shared/errors';
import { CLIENT_UID } from './client-user';

export const CLIENT_IMAGE = 'docker-autograder/client:1';
/**
 * docker:27-cli has the ssh client the CLI needs for ssh:// daemons (a script step with
 * `remote: true`); OpenSSH's ssh also needs a user for the client's uid (client-user.ts), with
 * the HOME the client container sets.
 */
export const CLIENT_DOCKERFILE = [
  'FROM docker:27-cli',
  'RUN apk add --no-cache bash coreutils openssh-client \\',
  ` && echo 'docker-autograder:x:${CLIENT_UID}:${CLIENT_UID}:student docker client:/tmp:/bin/bash' >>/etc/passwd`,
  'CMD ["bash"]',
  '',
].join('\n');
const BUILD_TIMEOUT_MS = 5 * 60_000;

/** The client image of a run: the reference it was found or built under, and its id then. */
export interface PinnedClientImage {
  reference: string;
  id: string;
}

/** How the grader makes one of its helper images when the engine lacks it. */
export interface HelperImageRecipe {
  /** What the image is, for messages: "the client image for student scripts". */
  what: string;
  dockerfile: string;
  /** The base image the Dockerfile starts from, for messages. */
  from: string;
  /** The run-owned tag it is built under (cleanup finds it by that name: naming/image-references.ts). */
  tag(runId: string): string;
}

const CLIENT_RECIPE: HelperImageRecipe = {
  what: 'the client image for student scripts',
  dockerfile: CLIENT_DOCKERFILE,
  from: 'docker:27-cli',
  // A tag of the run's own: it carries the run labels and goes with the run's cleanup, so two
  // gradings sharing an engine never remove each other's client image.
  tag: clientImageTag,
};

/** Per engine, per reference: the image pinned at the first use in the run. */
const images = new WeakMap<Engine, Map<string, Promise<PinnedClientImage>>>();

/**
 * The client image's id on this engine, resolved once per run (built when the engine lacks it).
 * Every client container is created from that id, not from the tag: a tag can be moved (by
 * another grading's student, through any hole in a gate), and the next script would then run
 * someone else's code. When the tag points elsewhere later in the run, `onMoved` hears it.
 */
export function clientImage(engine: Engine, onMoved?: (message: string) => void): Promise<string> {
  return pinnedClientImage(engine, CLIENT_IMAGE, onMoved);
}

/** clientImage() for the client image's tag `reference` (tests use a tag of their own). */
export function pinnedClientImage(
  engine: Engine,
  reference: string,
  onMoved?: (message: string) => void,
): Promise<string> {
  return pinnedHelperImage(engine, reference, CLIENT_RECIPE, onMoved);
}

/** The id of one of the grader's helper images, pinned once per run like the client image's. */
export async function pinnedHelperImage(
  engine: Engine,
  reference: string,
  recipe: HelperImageRecipe,
  onMoved?: (message: string) => void,
): Promise<string> {
  let byReference = images.get(engine);
  if (byReference === undefined) {
    byReference = new Map();
    images.set(engine, byReference);
  }
  let pinned = byReference.get(reference);
  if (pinned === undefined) {
    const cache = byReference;
    pinned = findOrBuild(engine, reference, recipe).catch((error: unknown) => {
      cache.delete(reference);
      throw error;
    });
    byReference.set(reference, pinned);
  }
  const { reference: found, id } = await pinned;
  if (onMoved !== undefined) {
    const now = await engine.inspectImage(found).catch((error: unknown) => {
      if (error instanceof InfraError) throw error;
      return undefined;
    });
    if (now?.id !== id) onMoved(clientImageMoved(found, id, now?.id));
  }
  return id;
}

/** What the log says when the client image's tag no longer points at the image pinned at the start. */
export function clientImageMoved(reference: string, pinnedId: string, nowId: string | undefined): string {
  const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
  const now = nowId === undefined ? 'is gone' : `now points at ${short(nowId)}`;
  return `  warning: the client image ${reference} ${now}; the student's commands still run in ${short(pinnedId)}, the image it was when this run started`;
}

async function findOrBuild(
  engine: Engine,
  reference: string,
  recipe: HelperImageRecipe,
): Promise<PinnedClientImage> {
  const found = await engine.inspectImage(reference);
  if (found !== undefined) return { reference, id: found.id };
  const tag = recipe.tag(engine.runId);
  const contextDir = await mkdtemp(path.join(os.tmpdir(), 'docker-autograder-client-'));
  try {
    await writeFile(path.join(contextDir, 'Dockerfile'), recipe.dockerfile);
    const result = await engine.build({
      contextDir,
      dockerfile: 'Dockerfile',
      tag,
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    if (!result.ok) {
      throw new InfraError(
        `${recipe.what} (${reference}) is missing and could not be built from ${recipe.from}: ${result.error}`,
      );
    }
    const built = await engine.inspectImage(tag);
    if (built === undefined) {
      throw new InfraError(`the client image ${tag} was built, but the engine does not find it`);
    }
    return { reference: tag, id: built.id };
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }
}
