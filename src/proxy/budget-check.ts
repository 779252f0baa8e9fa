// The aggregate budget (budget.ts) applied at container create: the exercise's containers, read
// from the engine, and this host's figures; and the bound on a container's writable layer, where
// the engine takes one (StorageOpt size).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { HARDENED_LIMITS } from '../engine/engine';
import {
  budgetRefusal,
  containerDiskBound,
  exerciseBudget,
  type HostFigures,
  limitsOf,
  type Resources,
  storageOptWithBound,
} from './budget';
import { isRecord, type Json } from './refusal';
import { type Upstream, upstreamJson } from './upstream';

const PER_CONTAINER: Resources = { memory: HARDENED_LIMITS.memory, pids: HARDENED_LIMITS.pids };

let pidMax: number | undefined;

/** This host's figures; the exercises graded at once share them (1 unless told). */
export function hostFigures(concurrentExercises = 1): HostFigures {
  if (pidMax === undefined) {
    try {
      pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || 32768;
    } catch {
      pidMax = 32768;
    }
  }
  return { totalMemory: os.totalmem(), pidMax, concurrentExercises };
}

export interface BudgetLookups {
  /** The exercise's containers (GET /containers/json?all=1 with its label filters). */
  containers(): Promise<Json[]>;
  /** A container's inspection, undefined when it is gone. */
  details(id: string): Promise<Json | undefined>;
}

/**
 * Why a container with this (policed) HostConfig cannot be created beside the exercise's
 * others and those being created (their HostConfigs), or undefined. Containers counted at their
 * limits, created or running.
 */
export async function containerBudgetRefusal(
  hostConfig: unknown,
  lookups: BudgetLookups,
  containerCap: number,
  host: HostFigures = hostFigures(),
  underWay: unknown[] = [],
): Promise<string | undefined> {
  const used: Resources[] = underWay.map((asked) => limitsOf(asked, PER_CONTAINER));
  for (const container of await lookups.containers()) {
    const details = await lookups.details(String(container.Id));
    if (details !== undefined) used.push(limitsOf(details.HostConfig, PER_CONTAINER));
  }
  return budgetRefusal(
    limitsOf(hostConfig, PER_CONTAINER),
    used,
    exerciseBudget(host, PER_CONTAINER, containerCap),
  );
}

/**
 * Whether each engine bounds a container's writable layer (HostConfig.StorageOpt size), by the
 * daemon's ID: asked once per engine (/info, then a probe), for the life of the process. Only
 * verdicts are kept: a probe that could not tell (its image missing) is made again later.
 */
const storageOptSupport = new Map<string, Promise<boolean | undefined>>();
/** The same, by the connection a proxy keeps for its life: /info is not asked at every create. */
const byUpstream = new WeakMap<Upstream, Promise<boolean>>();

/**
 * Whether the engine behind `upstream` takes StorageOpt size. overlay2 takes it only over xfs
 * mounted with pquota, which /info does not tell: an overlay2 engine over anything but xfs is
 * known not to, any other is probed once with a container created (never started) from `image`
 * and removed.
 */
export async function engineBoundsLayers(
  upstream: Upstream,
  image: string,
  labels: Record<string, string>,
): Promise<boolean> {
  const cached = byUpstream.get(upstream);
  if (cached !== undefined) return cached;
  const verdict = askEngine(upstream, image, labels);
  const answer = verdict.then((told) => told ?? false);
  byUpstream.set(upstream, answer);
  const told = await verdict.catch((error: unknown) => {
    byUpstream.delete(upstream);
    throw error;
  });
  if (told === undefined) byUpstream.delete(upstream);
  return answer;
}

/** true or false when the engine told, undefined when it could not say. */
async function askEngine(
  upstream: Upstream,
  image: string,
  labels: Record<string, string>,
): Promise<boolean | undefined> {
  const info = await upstreamJson(upstream, 'GET', '/info');
  if (info.status !== 200 || !isRecord(info.body)) return undefined;
  const daemon = typeof info.body.ID === 'string' && info.body.ID !== '' ? info.body.ID : undefined;
  const known = daemon === undefined ? undefined : storageOptSupport.get(daemon);
  if (known !== undefined) return known;
  const verdict = judgeStorageOpt(info.body, upstream, image, labels);
  if (daemon !== undefined) {
    storageOptSupport.set(daemon, verdict);
    const forget = (): void => {
      if (storageOptSupport.get(daemon) === verdict) storageOptSupport.delete(daemon);
    };
    verdict.then((told) => told === undefined && forget(), forget);
  }
  return verdict;
}

/** true or false when the engine told, undefined when the probe could not say. */
async function judgeStorageOpt(
  info: Json,
  upstream: Upstream,
  image: string,
  labels: Record<string, string>,
): Promise<boolean | undefined> {
  const driver = typeof info.Driver === 'string' ? info.Driver : '';
  const status = Array.isArray(info.DriverStatus) ? info.DriverStatus : [];
  const backing = status.find((entry) => Array.isArray(entry) && entry[0] === 'Backing Filesystem');
  if (driver === 'vfs') return false;
  if (driver === 'overlay2' && Array.isArray(backing) && backing[1] !== 'xfs') return false;
  const name = `docker-autograder-storage-probe-${randomBytes(6).toString('hex')}`;
  const created = await upstreamJson(upstream, 'POST', `/containers/create?name=${name}`, {
    Image: image,
    Cmd: ['true'],
    Labels: labels,
    HostConfig: { StorageOpt: { size: String(PROBE_SIZE) }, NetworkMode: 'none' },
  });
  if (created.status === 201 && isRecord(created.body)) {
    await upstreamJson(
      upstream,
      'DELETE',
      `/containers/${encodeURIComponent(String(created.body.Id))}?force=1`,
    );
    return true;
  }
  const message = isRecord(created.body) ? String(created.body.message ?? '') : String(created.body);
  if (/storage.?opt|quota|not supported|unknown option/i.test(message)) return false;
  return undefined;
}

/** The size asked of the probe: any size the driver would take. */
const PROBE_SIZE = 1024 * 1024 * 1024;

/**
 * The create body with the bound on its writable layer, where the engine takes one
 * (StorageOpt size); unchanged where it does not (the disk watch reads the layer afterwards).
 */
export async function boundContainerDisk(
  upstream: Upstream,
  body: Json,
  labels: Record<string, string>,
  maxBytes: number = containerDiskBound(process.env),
): Promise<Json> {
  const image = typeof body.Image === 'string' ? body.Image : '';
  if (image === '' || !(await engineBoundsLayers(upstream, image, labels))) return body;
  const hostConfig = isRecord(body.HostConfig) ? body.HostConfig : {};
  return {
    ...body,
    HostConfig: { ...hostConfig, StorageOpt: storageOptWithBound(hostConfig.StorageOpt, maxBytes) },
  };
}
