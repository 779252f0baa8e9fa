// Image references: the tags of the grader's own images, all in the `docker-autograder/`
// namespace with the run first, and how a run's tags (or any run's) are recognised among the
// engine's images.
import { dockerSafe } from './resource-names';

/**
 * The grader's own images (build steps, build-cache rebuilds, the client image) are named in
 * this namespace, with the run id first in every tag, and carry no labels: the classic builder
 * turns each build label into a LABEL step, an uncached container commit. Cleanup finds them by
 * these references and only untags them (decisions.md, "Unlabelled builds").
 */
const NAMESPACE = 'docker-autograder';
/** The client image's repository; its stand-in is `:1` (scripts/build-base-images.sh). */
const CLIENT_REPOSITORY = `${NAMESPACE}/client`;
/** Any run's reference: `<namespace>/<run>-<scope rest>-<step>:latest` or the client's `:1-<run>`. */
const ANY_RUN_REFERENCE = /^docker-autograder\/(?:[a-z0-9_.-]+-[a-z0-9_.-]+:latest|client:1-[a-z0-9_.-]+)$/;

/** A build step's image (and the build-cache check's rebuilds): `docker-autograder/<scope>-<step>:latest`. */
export function imageTag(scope: string, stepName: string): string {
  return `${NAMESPACE}/${dockerSafe(scope)}-${dockerSafe(stepName)}:latest`;
}

/**
 * The client image's run-owned tag, `docker-autograder/client:1-<run>` (steps/client-image.ts): it
 * carries the run labels and goes with the run's cleanup, so two gradings sharing an engine never
 * remove each other's client image.
 */
export function clientImageTag(runId: string): string {
  return `${CLIENT_REPOSITORY}:1-${dockerSafe(runId)}`;
}

/**
 * Any grader reference but the client stand-in (`docker-autograder/client:1`): a build step's
 * image, or a client image built on the spot. Looser than runReferences('allRuns'), for the gate,
 * which hides every such tag that is not the run's own.
 */
export function isGraderReference(reference: string): boolean {
  return reference.startsWith(`${NAMESPACE}/`) && reference !== `${CLIENT_REPOSITORY}:1`;
}

export interface ReferenceSelection {
  /** `reference` filters for the engine's image list (path.Match globs on the name). */
  patterns: string[];
  /** Whether one of an image's tags is in the selection (the list filter is only a first cut). */
  matches: (reference: string) => boolean;
}

/** The image references of a run, of one scope of it, or (allRuns) of every run. */
export function runReferences(selection: { runId: string; scope?: string } | 'allRuns'): ReferenceSelection {
  if (selection === 'allRuns') {
    return { patterns: [`${NAMESPACE}/*`], matches: (reference) => ANY_RUN_REFERENCE.test(reference) };
  }
  const prefix = `${NAMESPACE}/${dockerSafe(selection.scope ?? selection.runId)}-`;
  const client = clientImageTag(selection.runId);
  if (selection.scope !== undefined) {
    return { patterns: [`${prefix}*`], matches: (reference) => reference.startsWith(prefix) };
  }
  return {
    patterns: [`${prefix}*`, client],
    matches: (reference) => reference === client || reference.startsWith(prefix),
  };
}

/** Whether a build's tag names an image of this run, so cleanup finds it without labels. */
export function isRunReference(reference: string, runId: string): boolean {
  const normalised = reference.includes(':') ? reference : `${reference}:latest`;
  return runReferences({ runId }).matches(normalised);
}
