// What a student's docker commands may ask of the engine (docs/security.md, boundary 2): what
// every resource's rules share. The rules themselves are in policy-<resource>.ts (containers,
// networks, volumes, builds), the hardened profile in policy-profile.ts and the host's paths in
// policy-mounts.ts. Each rule takes the JSON body of one request and returns the body to
// forward, or throws a Refusal whose message the docker CLI prints. Lookups of the engine and of
// the host's files are injected, so that the rules are tested without I/O.
import { isGraderLabel, studentNameLabel } from '../naming/labels';
import { currentStudentName } from '../naming/resource-names';
import type { VirtualNames } from '../naming/virtual-names';
import { isRecord, Refusal } from './refusal';

export { isRecord, type Json, Refusal } from './refusal';

export interface SandboxPolicy {
  extraCapabilities: string[];
  publicPorts: boolean;
}

/**
 * The name a student knows a container of the run by (STUDENT_NAME_LABEL, followed through
 * `docker rename`). Undefined for a container the student did not name.
 */
export function studentNameOf(
  container: { name: string; labels: Record<string, string> },
  names: VirtualNames,
): string | undefined {
  const given = studentNameLabel(container.labels);
  return given === undefined ? undefined : currentStudentName(container.name, given, names.scope);
}

export const HOST_NETWORK_REFUSED = "the host's network namespace is not allowed (--network host)";

/**
 * "No such ..." for what is not the run's: the student's view of the engine holds only the run's
 * objects (so `docker rm -f web` behaves as on an empty engine). Someone else's object is noted.
 */
export function notFound(
  message: string,
  kind: string,
  reference: string,
  resolved: { kind: string },
  status = 404,
): Refusal {
  return new Refusal(
    message,
    status,
    resolved.kind === 'foreign'
      ? `${kind} ${reference} is not one this grading created, so it is left alone`
      : undefined,
    true,
  );
}

/** The answer an object reference gets: the run's own (with what to call it on the engine), or not. */
export type Resolved =
  | { kind: 'own'; id: string; name: string; labels: Record<string, string> }
  | { kind: 'builtin'; name: string }
  | { kind: 'foreign' }
  | { kind: 'missing' };

export type ResolvedImage =
  | { kind: 'own'; reference: string }
  | { kind: 'base'; reference: string }
  | { kind: 'foreign' }
  | { kind: 'missing' };

export interface PolicyLookups {
  /** The real path of a host path (of its nearest existing ancestor when missing) and whether it is a socket. */
  hostPath(hostPath: string): Promise<{ real: string; socket: boolean }>;
  container(reference: string): Promise<Resolved>;
  network(reference: string): Promise<Resolved>;
  volume(reference: string): Promise<Resolved>;
  image(reference: string): Promise<ResolvedImage>;
  /** Creates a named volume with the run's labels (what the daemon would create unlabelled). */
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** The ports an image exposes (like "80/tcp") and its VOLUME paths; empty when it does not exist. */
  imageConfig(image: string): Promise<{ exposedPorts: string[]; volumes: string[] }>;
}

export interface PolicyContext {
  names: VirtualNames;
  /** Labels every created object carries (run id and scope). */
  runLabels: Record<string, string>;
  /** Real path of the submission folder. */
  submissionDir: string;
  policy: SandboxPolicy;
  lookups: PolicyLookups;
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The student's labels without ours (a student must not forge a name, ports or run label), then ours. */
export function stampLabels(
  labels: unknown,
  runLabels: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const result: Record<string, string> = {};
  if (isRecord(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      if (!isGraderLabel(key) && typeof value === 'string') result[key] = value;
    }
  }
  return { ...result, ...extra, ...runLabels };
}

export async function ownContainer(reference: string, context: PolicyContext): Promise<string> {
  const resolved = await context.lookups.container(reference);
  if (resolved.kind === 'own') return resolved.id;
  // Named inside a create body: the engine answers a missing one with 400 (see Refusal.missing).
  throw notFound(`No such container: ${reference}`, 'container', reference, resolved, 400);
}

/**
 * The engine's name of a network the student names; builtin ones stay as they are. A missing one
 * named in a container create is a 400: the docker CLI takes a 404 from a create for a missing
 * image and tries to pull it.
 */
export async function ownNetwork(
  reference: string,
  context: PolicyContext,
  missingStatus = 404,
): Promise<Extract<Resolved, { kind: 'own' | 'builtin' }>> {
  if (reference === 'host') throw new Refusal(HOST_NETWORK_REFUSED);
  const resolved = await context.lookups.network(reference);
  // The engine's host network named by its id or an id prefix is the host network all the same.
  if (resolved.kind === 'builtin' && resolved.name === 'host')
    throw new Refusal(`${HOST_NETWORK_REFUSED}: ${reference} is the host network`);
  if (resolved.kind === 'own' || resolved.kind === 'builtin') return resolved;
  throw notFound(`network ${reference} not found`, 'network', reference, resolved, missingStatus);
}

/** The image reference to create a container from: the run's own tag, or a base image as it is. */
export async function imageToUse(reference: string, context: PolicyContext): Promise<string> {
  const resolved = await context.lookups.image(reference);
  if (resolved.kind === 'own' || resolved.kind === 'base') return resolved.reference;
  if (resolved.kind === 'missing') return reference;
  throw notFound(`No such image: ${reference}`, 'image', reference, resolved);
}
