// The `image` check: an image's config (workdir, cmd, entrypoint, env, user, ports, ...), by the
// name the exercise gives it.
import { normaliseAbsolute } from '../../dockerfile/paths';
import { inspectImageOnce } from '../../run/image-cache';
import { resolveImageRef } from '../../run/resolve';
import { expectSchema, matcher, objectOf, ref, required, text } from '../../spec/json-schema';
import { defineCheck } from '../check';
import { studentLabels } from '../observed-names';

export const imageCheck = defineCheck('image', {
  target: objectOf("Inspects an image's configuration.", {
    name: required(text("A build step's name, or an image reference.")),
    basedOn: text(
      "An image reference; the fact basedOn is true when its layers are a prefix of this image's.",
    ),
  }),
  expect: expectSchema({
    user: matcher(),
    workdir: matcher(),
    cmd: matcher(),
    entrypoint: matcher(),
    env: matcher('List like ["KEY=value"].'),
    exposedPorts: matcher('List like ["8080/tcp"].'),
    labels: ref('matcherMap'),
    healthcheck: matcher('The HEALTHCHECK test list; [] when none.'),
    layers: matcher('Number of filesystem layers.'),
    size: matcher('Size in bytes; compare with min/max like 200MB.'),
    basedOn: matcher('true when the image is built on target.basedOn.'),
    exists: matcher(),
  }),
  readOnly: true,
  async observe(target, context) {
    const image = await inspectImageOnce(context, await resolveImageRef(target.name, context));
    // A fact, not a failure: an exercise may expect an image to be gone (`exists: false`), and
    // every other expected key then fails with nothing observed.
    if (image === undefined) return { facts: { exists: false } };
    let basedOn: boolean | undefined;
    if (target.basedOn !== undefined) {
      const base = await inspectImageOnce(context, await resolveImageRef(target.basedOn, context));
      if (base === undefined) {
        return {
          failure: {
            message: `the base image "${target.basedOn}" does not exist, so "${target.name}" cannot be compared with it`,
          },
        };
      }
      basedOn = isPrefix(base.layerDigests, image.layerDigests);
    }
    return {
      facts: {
        exists: true,
        user: image.user,
        // The engine keeps WORKDIR as written, yet /app/ and /app are the same directory.
        workdir: image.workdir === '' ? '' : normaliseAbsolute(image.workdir),
        cmd: image.cmd,
        entrypoint: image.entrypoint,
        exposedPorts: image.exposedPorts,
        env: image.env,
        labels: studentLabels(image.labels),
        healthcheck: image.healthcheck,
        layers: image.layers,
        size: image.sizeBytes,
        basedOn,
      },
    };
  },
});

/** A base image's layers come first, unchanged, in every image built FROM it. */
function isPrefix(base: string[], layers: string[]): boolean {
  return (
    base.length > 0 && base.length <= layers.length && base.every((digest, index) => layers[index] === digest)
  );
}
