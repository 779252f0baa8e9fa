// The aggregate budget of one exercise's containers (issue 13, deliverable 7). Each container is
// capped (HARDENED_LIMITS: 512 MiB, 256 processes), and an exercise may have MAX_CONTAINERS_PER_
// EXERCISE of them: 50 x 512 MiB is more than most runners have. So the memory and processes of
// all the exercise's containers together are bounded too, never above half the host's memory
// (and a quarter of its process ids), shared by the exercises graded at once. Pure: the host's
// figures and the containers' limits are given.

const MIB = 1024 * 1024;

export interface Resources {
  /** Bytes of memory (the container's limit: HostConfig.Memory). */
  memory: number;
  /** Processes (HostConfig.PidsLimit). */
  pids: number;
}

export interface HostFigures {
  /** os.totalmem(). */
  totalMemory: number;
  /** /proc/sys/kernel/pid_max (32768 when it cannot be read). */
  pidMax: number;
  /** Exercises graded at once on this host (grade --concurrency), each with its own budget. */
  concurrentExercises: number;
}

/** The least a container can be given and still be of use: below, the create is refused. */
export const MIN_CONTAINER: Resources = { memory: 16 * MIB, pids: 16 };

/**
 * One exercise's budget: what its containers may hold at once. At most the cap of every
 * container, and at most half the host's memory and a quarter of its process ids over all the
 * exercises graded at once.
 */
export function exerciseBudget(host: HostFigures, perContainer: Resources, containerCap: number): Resources {
  const share = Math.max(1, Math.floor(host.concurrentExercises));
  return {
    memory: Math.min(perContainer.memory * containerCap, Math.floor(host.totalMemory / 2 / share)),
    pids: Math.min(perContainer.pids * containerCap, Math.floor(host.pidMax / 4 / share)),
  };
}

/**
 * Whether a container asking for `requested` fits beside the exercise's containers `used`
 * (their limits, created or running: a created one may be started at any time). Returns the
 * refusal's message, or undefined when it fits.
 */
export function budgetRefusal(
  requested: Resources,
  used: Resources[],
  budget: Resources,
): string | undefined {
  const taken = used.reduce(
    (sum, container) => ({ memory: sum.memory + container.memory, pids: sum.pids + container.pids }),
    { memory: 0, pids: 0 },
  );
  const left = { memory: budget.memory - taken.memory, pids: budget.pids - taken.pids };
  if (requested.memory > left.memory) {
    return `this exercise's containers may use ${formatMiB(budget.memory)} of memory together, and ${formatMiB(Math.max(0, left.memory))} is left: give this container less (--memory) or remove one (docker rm)`;
  }
  if (requested.pids > left.pids) {
    return `this exercise's containers may run ${budget.pids} processes together, and ${Math.max(0, left.pids)} are left: give this container fewer (--pids-limit) or remove one (docker rm)`;
  }
  return undefined;
}

/** A container's limits as the engine reports them (HostConfig), a missing one counted at the cap. */
export function limitsOf(hostConfig: unknown, cap: Resources): Resources {
  const config =
    typeof hostConfig === 'object' && hostConfig !== null ? (hostConfig as Record<string, unknown>) : {};
  const memory = typeof config.Memory === 'number' && config.Memory > 0 ? config.Memory : cap.memory;
  const pids = typeof config.PidsLimit === 'number' && config.PidsLimit > 0 ? config.PidsLimit : cap.pids;
  return { memory, pids };
}

/** What one container may write to its own filesystem (its writable layer) unless told. */
export const DEFAULT_CONTAINER_DISK_BYTES = 2048 * MIB;
/** Sets that bound, in MiB (a grader with little disk; the tests' small bound). */
export const CONTAINER_DISK_ENV = 'DOCKER_AUTOGRADER_CONTAINER_DISK_MIB';

/** The bound on what a container may write, from the environment or the default. */
export function containerDiskBound(env: Record<string, string | undefined> = {}): number {
  const text = env[CONTAINER_DISK_ENV]?.trim() ?? '';
  if (!/^[1-9]\d{0,7}$/.test(text)) return DEFAULT_CONTAINER_DISK_BYTES;
  return Number(text) * MIB;
}

/**
 * Why a container whose writable layer holds `sizeRw` bytes (GET /containers/json?size=1,
 * SizeRw) is past the bound, or undefined. Where the engine cannot bound the layer while it is
 * written (StorageOpt size needs overlay2 on xfs with pquota), this is read after the fact, and
 * the container is killed: the message says what happened and what to do.
 */
export function layerSizeRefusal(sizeRw: number | undefined, maxBytes: number): string | undefined {
  if (sizeRw === undefined || sizeRw <= maxBytes) return undefined;
  return `it wrote ${formatMiB(sizeRw)} to its own filesystem, more than the ${formatMiB(maxBytes)} a container may write, and was stopped (killed): write less in the container (remove downloads and temporary files in the command that made them)`;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: MIB, g: 1024 * MIB, t: 1024 * 1024 * MIB };

/**
 * Docker's reading of a size (RAMInBytes: "512m", "2G", "1.5gb", "1048576"), or undefined when
 * it is not one.
 */
export function sizeInBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(Number(match[1]) * unit);
}

/**
 * HostConfig.StorageOpt for an engine that bounds the writable layer: the student's options,
 * with `size` at most `maxBytes` (a smaller size asked for is kept).
 */
export function storageOptWithBound(storageOpt: unknown, maxBytes: number): Record<string, string> {
  const options: Record<string, string> = {};
  if (typeof storageOpt === 'object' && storageOpt !== null && !Array.isArray(storageOpt)) {
    for (const [key, value] of Object.entries(storageOpt)) {
      if (typeof value === 'string' && key.toLowerCase() !== 'size') options[key] = value;
    }
    const asked = Object.entries(storageOpt).find(([key]) => key.toLowerCase() === 'size')?.[1];
    const bytes = typeof asked === 'string' ? sizeInBytes(asked) : undefined;
    if (bytes !== undefined && bytes > 0 && bytes <= maxBytes) {
      options.size = String(bytes);
      return options;
    }
  }
  options.size = String(maxBytes);
  return options;
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}
