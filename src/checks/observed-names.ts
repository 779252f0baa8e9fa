// What checks share to show engine objects by the names a student knows, and to find networks
// and volumes by those names: a step's name, a compose file's name, or the engine's own name.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { NetworkDetails, VolumeDetails } from '../engine/engine';
import { isGraderLabel } from '../naming/labels';
import { resourceName } from '../naming/resource-names';
import { type Failure, type RunContext, refusal } from '../run/context';
import { studentName } from '../run/resolve';

/** Labels without the grader's own (run id, scope, stand-in marker): they are not the student's. */
export function studentLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !isGraderLabel(key)));
}

/** A container name no other run, exercise or check uses, for the grader's short-lived helpers. */
export function helperName(context: RunContext, purpose: string): string {
  return resourceName(context.scope, `${purpose}-${randomBytes(4).toString('hex')}`);
}

/**
 * The engine refusing a helper the grader asked for (an image for another platform, a
 * container that stopped in between) is reported on the check; only a broken engine is an error.
 */
export function refusalObservation(what: string, error: unknown): { failure: Failure } {
  return { failure: refusal(what, error) };
}

type Kind = 'network' | 'volume';

function stepEngineName(kind: Kind, name: string, context: RunContext): string | undefined {
  const engineName =
    kind === 'network' ? context.resources.networks.resolve(name) : context.resources.volumes.resolve(name);
  return engineName === name ? undefined : engineName;
}

/**
 * Looked up in order: a network step's network; what the student's docker commands named so
 * (directly, or `<project>_<name>` of each compose project of the exercise: what Compose makes
 * of a network the file names), on the engine under the run's scoped name; then those names as
 * engine names themselves.
 */
export async function findNetwork(name: string, context: RunContext): Promise<NetworkDetails | undefined> {
  return findNamed('network', name, context, (engineName) => context.engine.inspectNetwork(engineName));
}

/** Like findNetwork, for volumes. */
export async function findVolume(name: string, context: RunContext): Promise<VolumeDetails | undefined> {
  return findNamed('volume', name, context, (engineName) => context.engine.inspectVolume(engineName));
}

async function findNamed<T extends { labels: Record<string, string> }>(
  kind: Kind,
  name: string,
  context: RunContext,
  inspect: (engineName: string) => Promise<T | undefined>,
): Promise<T | undefined> {
  const fromStep = stepEngineName(kind, name, context);
  if (fromStep !== undefined) return inspect(fromStep);
  const names = [name, ...context.resources.composeProjects.map((project) => `${project}_${name}`)];
  for (const studentsName of names) {
    // The gate names it resourceName(scope, name); the label says whose name it really is.
    const found = await inspect(resourceName(context.scope, studentsName));
    if (found !== undefined && studentName(found.labels, context) === studentsName) return found;
  }
  for (const engineName of names) {
    const found = await inspect(engineName);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The name a student gave a network or volume, from the engine's name (and its labels, when
 * known): the gate's scoped name becomes the student's name again, a compose project's prefix
 * goes, and a step's scoped name becomes the step's name again (checked against the step's own
 * mapping, so a name is never guessed wrong: when in doubt it stays the engine's).
 */
export function friendlyResourceName(
  kind: Kind,
  engineName: string,
  context: RunContext,
  labels: Record<string, string> = {},
): string {
  const name = studentName(labels, context) ?? engineName;
  for (const project of context.resources.composeProjects) {
    if (name.startsWith(`${project}_`)) return name.slice(project.length + 1);
  }
  // Steps name what they create resourceName(scope, name): the scope's prefix, then the name.
  const scopePrefix = resourceName(context.scope, '');
  if (name.startsWith(scopePrefix)) {
    const candidate = name.slice(scopePrefix.length);
    if (stepEngineName(kind, candidate, context) === name) return candidate;
  }
  return name;
}

/** friendlyResourceName, reading the labels of an object the student's commands may have made. */
export async function friendlyObservedName(
  kind: Kind,
  engineName: string,
  context: RunContext,
): Promise<string> {
  if (!engineName.startsWith(resourceName(context.scope, ''))) {
    return friendlyResourceName(kind, engineName, context);
  }
  const details =
    kind === 'network'
      ? await context.engine.inspectNetwork(engineName)
      : await context.engine.inspectVolume(engineName);
  return friendlyResourceName(kind, engineName, context, details?.labels);
}

/**
 * A bind mount's host path relative to the submission folder ("." for the folder itself):
 * the absolute path differs from one machine to the next, so no exercise could expect it.
 */
export function friendlyBindSource(source: string, context: RunContext): string {
  const relative = path.relative(context.submissionDir, source);
  if (relative === '') return '.';
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return source;
  return relative.split(path.sep).join('/');
}
