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

/**
 * The disk a container may write cannot be bounded on overlay2 over ext4 (StorageOpt size needs
 * xfs with pquota: the engine refuses it). What can be done is to read its writable layer's size
 * (GET /containers/{id}/json?size=1, SizeRw) and say when it is past the bound.
 */
export function layerSizeRefusal(sizeRw: number | undefined, maxBytes: number): string | undefined {
  if (sizeRw === undefined || sizeRw <= maxBytes) return undefined;
  return `the container wrote ${formatMiB(sizeRw)} to its filesystem, more than the ${formatMiB(maxBytes)} allowed`;
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}
