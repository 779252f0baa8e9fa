// engine/rules: what the engine's work is held to (names, binds, builds), checked before or around a call.
//
// The profile a build's RUN containers are held to, for the grader's own `build:` steps and for
// builds a student starts through the policy proxy: the limits of HARDENED_LIMITS, as far as the
// classic builder's /build takes them (docs/decisions.md, "Builds held to the profile").
//
// /build takes memory, CPU, /dev/shm, ulimits and a cgroup parent, but no pids limit and no
// capability set. The pids bound comes from the cgroup parent: a cgroup the grader creates with
// pids.max (and the memory and CPU limits again) on the engine's machine, under which the daemon
// puts every RUN container of the build. Limits of a cgroup hold for all of its descendants.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isRecord } from '../../shared/records';
import { HARDENED_LIMITS } from '../engine';

/** The CFS period of a build's CPU quota (the kernel's default). */
export const BUILD_CPU_PERIOD = 100_000;
const MIB = 1024 * 1024;

export interface BuildLimits {
  /** Memory of each RUN container, swap included (memswap = memory). */
  memory: number;
  /** CPUs, in billionths (as NanoCpus): the quota of one CFS period. */
  nanoCpus: number;
  /** Processes of the whole build at once (the cgroup parent's pids.max). */
  pids: number;
  /** /dev/shm of each RUN container. */
  shmSize: number;
  ulimits: ReadonlyArray<{ Name: string; Soft: number; Hard: number }>;
}

export const BUILD_LIMITS: BuildLimits = {
  memory: HARDENED_LIMITS.memory,
  nanoCpus: HARDENED_LIMITS.nanoCpus,
  pids: HARDENED_LIMITS.pids,
  shmSize: 64 * MIB,
  ulimits: HARDENED_LIMITS.ulimits,
};

/** CPU quota of one BUILD_CPU_PERIOD for a number of CPUs in billionths. */
export function cpuQuota(nanoCpus: number): number {
  return Math.round((BUILD_CPU_PERIOD * nanoCpus) / 1e9);
}

/**
 * How /build takes `ulimits`: Docker's JSON array of {Name, Soft, Hard}, or Podman's (4.x) array
 * of "name=soft:hard" strings; Podman answers Docker's form with a 400 and no message.
 */
export type UlimitFormat = 'docker' | 'podman';

/**
 * The /build query parameters that hold RUN containers to the limits: no swap beyond the memory,
 * one CPU, the engine's default network (never host), and the cgroup parent when there is one.
 */
export function buildLimitParameters(
  limits: BuildLimits = BUILD_LIMITS,
  cgroupParent?: string,
  ulimitFormat: UlimitFormat = 'docker',
): Record<string, string> {
  return {
    memory: String(limits.memory),
    memswap: String(limits.memory),
    cpuperiod: String(BUILD_CPU_PERIOD),
    cpuquota: String(cpuQuota(limits.nanoCpus)),
    shmsize: String(limits.shmSize),
    ulimits: JSON.stringify(
      ulimitFormat === 'podman'
        ? limits.ulimits.map((limit) => `${limit.Name}=${limit.Soft}:${limit.Hard}`)
        : limits.ulimits,
    ),
    networkmode: 'default',
    ...(cgroupParent !== undefined ? { cgroupparent: cgroupParent } : {}),
  };
}

/** What the engine says of its cgroups (GET /info: CgroupDriver, CgroupVersion). */
export interface EngineCgroups {
  driver: string;
  version: string;
  /** Whether the engine runs on this machine, whose /sys/fs/cgroup is then the engine's. */
  onThisMachine: boolean;
}

/**
 * Whether the grader can make the build's cgroup parent itself: cgroup v1 with the cgroupfs
 * driver (the daemon then takes the parent as a path in each hierarchy), on this machine. With
 * systemd the parent must be a slice systemd manages, and v2 forbids processes in a cgroup whose
 * children have controllers: neither is done here (docs/decisions.md).
 */
export function cgroupParentPossible(engine: EngineCgroups): boolean {
  return engine.onThisMachine && engine.driver === 'cgroupfs' && engine.version === '1';
}

/** cgroupParentPossible for an engine's /info answer (anything but an object: not possible). */
export function cgroupParentPossibleFor(info: unknown, onThisMachine: boolean): boolean {
  const fields = isRecord(info) ? info : {};
  return cgroupParentPossible({
    driver: String(fields.CgroupDriver ?? ''),
    version: String(fields.CgroupVersion ?? ''),
    onThisMachine,
  });
}

export interface BuildCgroup {
  /** The /build `cgroupparent`: an absolute path in every hierarchy. */
  parent: string;
  /** Removes the cgroup once the build's containers are gone (best effort). */
  close(): Promise<void>;
}

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup files written, by hierarchy: what holds the whole build. */
function limitFiles(limits: BuildLimits): Array<[hierarchy: string, file: string, value: string]> {
  return [
    ['pids', 'pids.max', String(limits.pids)],
    ['memory', 'memory.limit_in_bytes', String(limits.memory)],
    ['cpu', 'cpu.cfs_period_us', String(BUILD_CPU_PERIOD)],
    ['cpu', 'cpu.cfs_quota_us', String(cpuQuota(limits.nanoCpus))],
  ];
}

/**
 * Creates the cgroup `name` in the pids, memory and cpu hierarchies with the limits, or returns
 * undefined when this machine does not let the grader (not root, read-only, no such hierarchy).
 * A cgroup left half made is removed again.
 */
export async function openBuildCgroup(
  name: string,
  limits: BuildLimits = BUILD_LIMITS,
  root: string = CGROUP_ROOT,
): Promise<BuildCgroup | undefined> {
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(name)) throw new Error(`invalid cgroup name ${JSON.stringify(name)}`);
  const created: string[] = [];
  const close = async (): Promise<void> => {
    for (const directory of [...created].reverse()) await removeCgroup(directory);
  };
  const files = limitFiles(limits);
  // Only real hierarchies, all of them: a missing one would otherwise be made as a plain folder.
  for (const hierarchy of new Set(files.map(([hierarchy]) => hierarchy))) {
    if (!(await exists(path.join(root, hierarchy, 'cgroup.procs')))) return undefined;
  }
  try {
    for (const [hierarchy, file, value] of files) {
      const directory = path.join(root, hierarchy, name);
      if (!created.includes(directory)) {
        await mkdir(directory);
        created.push(directory);
      }
      await writeFile(path.join(directory, file), value);
    }
    // Swap beyond the memory, where the kernel accounts it.
    const memsw = path.join(root, 'memory', name, 'memory.memsw.limit_in_bytes');
    if (await exists(memsw)) await writeFile(memsw, String(limits.memory));
  } catch {
    await close();
    return undefined;
  }
  return { parent: `/${name}`, close };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** rmdir, once the daemon removed the children it made in it (it may be a moment late). */
async function removeCgroup(directory: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      await rmdir(directory);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' && code !== 'ENOTEMPTY') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The processes and the most the build's cgroup held (pids.current, and the refusals counted). */
export async function cgroupPids(
  parent: string,
  root: string = CGROUP_ROOT,
): Promise<{ current: number; max: string; refusedForks: number }> {
  const directory = path.join(root, 'pids', parent);
  const read = async (file: string): Promise<string> =>
    (await readFile(path.join(directory, file), 'utf8')).trim();
  const events = await read('pids.events').catch(() => 'max 0');
  return {
    current: Number(await read('pids.current')),
    max: await read('pids.max'),
    refusedForks: Number(/max (\d+)/.exec(events)?.[1] ?? '0'),
  };
}

/** A cgroup name of the build of one run: unique, and saying whose it is. */
export function buildCgroupName(runId: string, unique: string): string {
  const safe = runId
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .slice(0, 40);
  return `docker-autograder-build-${safe}-${unique}`.replace(/^-+/, '');
}

/** A new cgroup, held to BUILD_LIMITS, for one build of the run `runId` (openBuildCgroup). */
export function openRunBuildCgroup(runId: string): Promise<BuildCgroup | undefined> {
  return openBuildCgroup(buildCgroupName(runId, randomBytes(6).toString('hex')), BUILD_LIMITS);
}
