// An image's config, inspected once per exercise while nothing can change it: the three image
// checks of an exercise that reads its image's workdir, cmd and ports make one engine call, not
// three (or six, with basedOn). grade.ts forgets everything before anything that could change
// images (a step, a check that is not read-only), so a cached answer is never stale.
import type { ImageDetails } from '../engine/engine';
import type { Resources, RunContext } from './context';

const caches = new WeakMap<Resources, Map<string, Promise<ImageDetails | undefined>>>();

/** context.engine.inspectImage(ref), shared by every caller until the cache is forgotten. */
export function inspectImageOnce(context: RunContext, ref: string): Promise<ImageDetails | undefined> {
  let cache = caches.get(context.resources);
  if (cache === undefined) {
    cache = new Map();
    caches.set(context.resources, cache);
  }
  const known = cache.get(ref);
  if (known !== undefined) return known;
  const inspected = context.engine.inspectImage(ref);
  cache.set(ref, inspected);
  // A failed call is not an answer: the next caller asks again.
  inspected.catch(() => cache.delete(ref));
  return inspected;
}

/** Something may have changed images (built, tagged, removed): ask the engine again. */
export function forgetImages(context: RunContext): void {
  caches.delete(context.resources);
}
