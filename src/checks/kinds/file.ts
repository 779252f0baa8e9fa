// A path in a container (running or stopped) or in an image. An image is read through a
// container created from it and never started, so nothing of the student's runs.
import path from 'node:path';
import type { PathEntry } from '../../engine/engine';
import { scopeLabels } from '../../naming/labels';
import type { RunContext } from '../../run/context';
import { resolveContainer, resolveImageRef } from '../../run/resolve';
import { expectSchema, matcher, objectOf, pattern, ref, required, text } from '../../spec/json-schema';
import { defineCheck, type Observation } from '../check';
import { helperName, refusalObservation } from '../observed-names';

const MAX_CONTENT_BYTES = 1024 * 1024;
/** Links followed to reach what a program opening the path would read (the kernel allows 40). */
const MAX_LINK_HOPS = 8;

export const fileCheck = defineCheck('file', {
  target: objectOf('Inspects a path in a container or an image (exactly one of container, image).', {
    container: ref('containerRef'),
    image: text("A build step's name, or an image reference."),
    path: required(pattern('^/')),
  }),
  expect: expectSchema({
    exists: matcher(),
    type: matcher('file, directory, symlink or other.'),
    mode: matcher('Octal text like "0644".'),
    uid: matcher(),
    gid: matcher(),
    size: matcher(),
    content: matcher("The file's text (first 1 MiB)."),
    target: matcher("A symlink's target."),
  }),
  containerKey: 'container',
  readOnly: true,
  validate(target, rules) {
    if ((target.container === undefined) === (target.image === undefined)) {
      rules.problem([], 'a file check needs exactly one of container, image');
    }
  },
  async observe(target, context) {
    if (target.image !== undefined) return observeInImage(target.image, target.path, context);
    const ref = target.container ?? '';
    const container = await resolveContainer(ref, context);
    if (container === undefined) return { failure: { message: `there is no container "${ref}"` } };
    return observePath(container.id, target.path, context);
  },
});

async function observeInImage(name: string, filePath: string, context: RunContext): Promise<Observation> {
  const image = await resolveImageRef(name, context);
  if ((await context.engine.inspectImage(image)) === undefined) {
    return { failure: { message: `there is no image "${name}"` } };
  }
  let id: string;
  try {
    id = await context.engine.createContainer({
      name: helperName(context, 'file'),
      image,
      // Never run: the engine refuses to create a container of an image without CMD otherwise.
      cmd: ['true'],
      labels: scopeLabels(context.scope),
    });
  } catch (error) {
    return refusalObservation(`cannot open image "${name}" to read ${filePath}`, error);
  }
  try {
    return await observePath(id, filePath, context);
  } finally {
    // Labelled with the scope: if this removal fails, the exercise's cleanup removes it.
    await context.engine.removeContainer(id).catch(() => undefined);
  }
}

async function observePath(containerId: string, filePath: string, context: RunContext): Promise<Observation> {
  let entry: PathEntry | undefined;
  let resolved: PathEntry | undefined;
  try {
    entry = await context.engine.readPath(containerId, filePath, MAX_CONTENT_BYTES);
    if (entry === undefined) return { facts: { exists: false } };
    resolved = entry.type === 'symlink' ? await followLinks(containerId, filePath, entry, context) : entry;
  } catch (error) {
    return refusalObservation(`cannot read ${filePath}`, error);
  }
  // `type` and `target` describe the path itself; the rest what it leads to, as `cat` and `stat -L` see it.
  const shown = resolved ?? entry;
  return {
    facts: {
      exists: true,
      type: entry.type,
      mode: shown.mode.toString(8).padStart(4, '0'),
      uid: shown.uid,
      gid: shown.gid,
      size: shown.size,
      content: shown.content?.toString('utf8'),
      target: entry.linkTarget,
    },
  };
}

/** What a chain of symlinks leads to; undefined when it dangles or loops. */
async function followLinks(
  containerId: string,
  linkPath: string,
  link: PathEntry,
  context: RunContext,
): Promise<PathEntry | undefined> {
  let current = link;
  let currentPath = linkPath;
  for (let hop = 0; hop < MAX_LINK_HOPS && current.type === 'symlink'; hop += 1) {
    currentPath = path.posix.resolve(path.posix.dirname(currentPath), current.linkTarget ?? '');
    const next = await context.engine.readPath(containerId, currentPath, MAX_CONTENT_BYTES);
    if (next === undefined) return undefined;
    current = next;
  }
  return current.type === 'symlink' ? undefined : current;
}
