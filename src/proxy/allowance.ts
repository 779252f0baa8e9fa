// How much an exercise may still create, counted one request at a time: creates sent at once
// (compose) cannot all pass on the same count. And the host ports a student asked for, taken
// while another of the run's containers runs with them, as the engine would have it.

import { STUDENT_PORTS_LABEL, studentPorts } from '../naming/labels';
import type { VirtualNames } from '../naming/virtual-names';
import type { HostFigures } from './budget';
import { containerBudgetRefusal } from './budget-check';
import { isRecord, Refusal, type Resolved, studentNameOf } from './policy';
import type { EngineLookups } from './upstream';

/** What the allowance reads of the engine: the exercise's containers and networks. */
export type AllowanceLookups = Pick<EngineLookups, 'ownContainerIds' | 'ownNetworks' | 'containerDetails'>;

/** Containers of one run (the client container included) beyond which creates are refused. */
export const MAX_CONTAINERS_PER_EXERCISE = 50;
/**
 * Networks of one run beyond which creates are refused. Each takes a subnet from the engine's
 * address pools, which every grading on the engine shares: 26 networks of one script emptied
 * them and another student's compose step failed. No exercise needs more than a few.
 */
export const MAX_NETWORKS_PER_EXERCISE = 10;

/**
 * One kind of object counted against a maximum: the objects that exist (per exercise, not per
 * run: exercises graded at once must not share one allowance) and the creates under way, each
 * with what it asks for (a container's HostConfig), so that a further check (the aggregate
 * budget) sees the creates under way too.
 */
class CountedAllowance<Asked> {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<{ asked: Asked }>();

  constructor(
    private readonly existing: () => Promise<number>,
    private readonly maximum: number,
    private readonly refusal: (count: number, maximum: number) => string,
  ) {}

  /**
   * Waits for its turn, counts, runs `check` (a refusal, or undefined) with what the creates
   * under way ask for, and returns the release of the reservation.
   */
  async reserve(
    asked: Asked,
    check: (underWay: Asked[]) => Promise<string | undefined> = async () => undefined,
  ): Promise<() => void> {
    const entry = { asked };
    const turn = this.queue.then(async () => {
      const count = (await this.existing()) + this.pending.size;
      if (count >= this.maximum) throw new Refusal(this.refusal(count, this.maximum));
      const refused = await check([...this.pending].map((underWay) => underWay.asked));
      if (refused !== undefined) throw new Refusal(refused);
      this.pending.add(entry);
    });
    this.queue = turn.catch(() => undefined);
    await turn;
    return () => {
      this.pending.delete(entry);
    };
  }
}

export class ExerciseAllowance {
  private readonly containers: CountedAllowance<unknown>;
  private readonly networks: CountedAllowance<undefined>;
  /** Starts of containers one at a time, so that two cannot both take the same requested port. */
  private starts: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly lookups: AllowanceLookups,
    private readonly labelFilters: string[],
    private readonly names: VirtualNames,
    /** The host's figures, shared by the exercises graded at once (budget-check.ts hostFigures). */
    private readonly host: HostFigures,
  ) {
    this.containers = new CountedAllowance(
      async () => (await lookups.ownContainerIds(labelFilters)).length,
      MAX_CONTAINERS_PER_EXERCISE,
      (count, maximum) =>
        `this exercise already has ${count} containers, the most it may create is ${maximum}: remove some (docker rm) before creating more`,
    );
    this.networks = new CountedAllowance(
      async () => (await lookups.ownNetworks(labelFilters)).length,
      MAX_NETWORKS_PER_EXERCISE,
      (count, maximum) =>
        `this exercise already has ${count} networks, the most it may create is ${maximum}: remove some (docker network rm) before creating more`,
    );
  }

  /**
   * A script creating containers in a loop stops at MAX_CONTAINERS_PER_EXERCISE, with a reason;
   * and the exercise's containers, with those being created, stay within the aggregate budget
   * (budget.ts), counted in the same turn so that creates sent at once cannot all pass it.
   */
  reserveContainer(hostConfig: unknown): Promise<() => void> {
    return this.containers.reserve(hostConfig, (underWay) =>
      containerBudgetRefusal(
        hostConfig,
        {
          containers: () => this.lookups.ownContainerIds(this.labelFilters),
          details: (id) => this.lookups.containerDetails(id),
        },
        MAX_CONTAINERS_PER_EXERCISE,
        this.host,
        underWay,
      ),
    );
  }

  /** Like reserveContainer, for networks against MAX_NETWORKS_PER_EXERCISE. */
  reserveNetwork(): Promise<() => void> {
    return this.networks.reserve(undefined);
  }

  /** Like the engine: a host port the student asked for is taken while another of the run's containers runs with it. */
  async checkPorts(container: Resolved & { kind: 'own' }): Promise<void> {
    const wanted = requestedHostPorts(container.labels[STUDENT_PORTS_LABEL]);
    if (wanted.length === 0) return;
    const check = this.starts.then(async () => {
      const running = await this.lookups.ownContainerIds(this.labelFilters, { status: ['running'] });
      for (const other of running) {
        if (other.Id === container.id) continue;
        const taken = requestedHostPorts(labels(other.Labels)[STUDENT_PORTS_LABEL]);
        const clash = wanted.find((port) => taken.includes(port));
        if (clash !== undefined) {
          throw new Refusal(
            `driver failed programming external connectivity on endpoint ${studentNameOf(container, this.names) ?? container.id.slice(0, 12)}: Bind for 0.0.0.0:${clash} failed: port is already allocated`,
            500,
          );
        }
      }
    });
    this.starts = check.catch(() => undefined);
    await check;
  }
}

function labels(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (isRecord(value))
    for (const [key, item] of Object.entries(value)) if (typeof item === 'string') result[key] = item;
  return result;
}

/** The host ports of a STUDENT_PORTS_LABEL value. */
export function requestedHostPorts(label: string | undefined): number[] {
  return Object.values(studentPorts(label)).flat();
}
