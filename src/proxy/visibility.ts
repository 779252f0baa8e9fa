// What exists for a student, as pure rules the policy proxy applies wherever it resolves an
// image or a container. Only the run's own images and the base images exist: another run's
// images, labelled or not (the grader's own builds carry no labels, naming/image-references.ts), and
// another run's tags on any image, are "No such image" for list, inspect, run, save, tag,
// history and FROM alike. The client container a student's commands run in is not theirs
// either: not listed, not inspectable, not stoppable (docs/decisions.md, "Images by identity").
//
// imageVisibility is not engine/rules/build-rules.ts's imageStanding, which asks whose an image is
// to a build's FROM, for the grader's own builds (the whole run) and the gate's (one scope).
// Visibility answers for the name the student used (an image that is a base by one name is hidden
// when asked for by another run's tag), always within one scope, and also knows other runs'
// gate-scoped names (`ag…-<n>-<name>`), which a student can ask for by hand.
import { isGraderReference, isRunReference } from '../naming/image-references';
import { CLIENT_LABEL, isGraderLabel, RUN_LABEL, SCOPE_LABEL } from '../naming/labels';
import { isScopedName, resourceName } from '../naming/resource-names';
import { isRecord } from './policy';

/** own: made in this run's scope; base: an image no grading made; hidden: not there for the student. */
export type ImageVisibility = 'own' | 'base' | 'hidden';

/** Whose a tag is: this run's, another run's, or nobody's (a base image's name). */
export type TagOwner = 'this-run' | 'other-run' | 'none';

export interface RunIdentity {
  runId: string;
  scope: string;
}

/** `busybox` and `busybox:latest` are one tag; the docker.io prefix newer CLIs send is dropped. */
function normalisedTag(tag: string): string {
  const bare = tag.replace(/^(?:index\.)?docker\.io\/(?:library\/)?/, '');
  const slash = bare.lastIndexOf('/');
  return bare.lastIndexOf(':') > slash || bare.includes('@') ? bare : `${bare}:latest`;
}

/** Whose a tag (or a reference by name) is. */
export function tagOwner(tag: string, run: RunIdentity): TagOwner {
  const normalised = normalisedTag(tag);
  const ownPrefix = resourceName(run.scope, '');
  if (normalised.startsWith(ownPrefix) || isRunReference(normalised, run.runId)) return 'this-run';
  if (isGraderReference(normalised) || isScopedName(normalised)) return 'other-run';
  return 'none';
}

/** An image's labels and tags, from an inspection (Config.Labels) or a list entry (Labels). */
function imageFacts(image: Record<string, unknown>): { labels: Record<string, unknown>; tags: string[] } {
  const config = isRecord(image.Config) ? image.Config : {};
  const labels = isRecord(config.Labels) ? config.Labels : isRecord(image.Labels) ? image.Labels : {};
  const tags = Array.isArray(image.RepoTags)
    ? image.RepoTags.filter((tag): tag is string => typeof tag === 'string' && tag !== '<none>:<none>')
    : [];
  return { labels, tags };
}

/**
 * Whether the student may see and use an image, given its inspection (or list entry) and, when
 * the student named it, the reference used. An image labelled with another run (or another
 * exercise of this run) is hidden. An unlabelled one is a base image when it is asked for by a
 * name that is no run's, or by id when one of its tags is no other run's; asked for by another
 * run's tag, or known only by other runs' tags (or none: another build's leftovers), it is hidden.
 */
export function imageVisibility(image: unknown, run: RunIdentity, reference?: string): ImageVisibility {
  if (!isRecord(image)) return 'hidden';
  const { labels, tags } = imageFacts(image);
  const labelledRun = labels[RUN_LABEL];
  if (labelledRun !== undefined) {
    return labelledRun === run.runId && labels[SCOPE_LABEL] === run.scope ? 'own' : 'hidden';
  }
  if (reference !== undefined && tagOwner(reference, run) === 'other-run') return 'hidden';
  // By a name the image carries that is no run's: a base image. Anything else (an id, an id
  // prefix the engine matched, a digest) counts by the image's own tags.
  const named = reference !== undefined && !isImageId(reference) ? normalisedTag(reference) : undefined;
  const digests = Array.isArray(image.RepoDigests) ? image.RepoDigests : [];
  // (An answer without RepoTags, which the engine always sends, says nothing against the name.)
  const carried =
    named !== undefined &&
    (!Array.isArray(image.RepoTags) || tags.map(normalisedTag).includes(named) || digests.includes(named));
  if (carried && tagOwner(named, run) === 'none') return 'base';
  return tags.some((tag) => tagOwner(tag, run) !== 'other-run') ? 'base' : 'hidden';
}

/** An image list entry as the student sees it: undefined when hidden, other runs' tags removed. */
export function visibleImageListEntry(entry: unknown, run: RunIdentity): unknown {
  if (!isRecord(entry)) return entry;
  if (imageVisibility(entry, run) === 'hidden') return undefined;
  if (!Array.isArray(entry.RepoTags)) return entry;
  return {
    ...entry,
    RepoTags: entry.RepoTags.filter((tag) => typeof tag !== 'string' || tagOwner(tag, run) !== 'other-run'),
  };
}

/** The image list without what the student may not see (the proxy's `GET /images/json`). */
export function visibleImageList(list: unknown, run: RunIdentity): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((entry) => visibleImageListEntry(entry, run)).filter((entry) => entry !== undefined);
}

function isImageId(reference: string): boolean {
  return /^(sha256:)?[0-9a-f]{1,64}$/.test(reference);
}

/** The client container the student's commands run in: hidden from them, whatever they call it. */
export function isClientContainer(labels: Record<string, unknown>): boolean {
  return labels[CLIENT_LABEL] === 'true';
}

/** A container list without the client container (`docker ps -a`). */
export function visibleContainerList(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.filter(
    (entry) => !isRecord(entry) || !isRecord(entry.Labels) || !isClientContainer(entry.Labels),
  );
}

/**
 * The grader's labels stay the grader's business: compose v1 refuses to reuse a network whose
 * labels it does not know ("label ... has changed"), and a student has no use for them.
 */
export function withoutOurLabels(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutOurLabels);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === 'Labels' && isRecord(item)
        ? Object.fromEntries(Object.entries(item).filter(([label]) => !isGraderLabel(label)))
        : withoutOurLabels(item),
    ]),
  );
}
