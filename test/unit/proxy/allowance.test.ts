// The exercise's allowance: the count of containers and networks, and the aggregate budget of
// its containers, checked in one turn per create, so that creates sent at once (compose, or a
// script racing `docker create &`) cannot all pass on the same figures.
import { describe, expect, it } from 'vitest';
import { VirtualNames } from '../../../src/naming/virtual-names';
import {
  type AllowanceLookups,
  ExerciseAllowance,
  MAX_NETWORKS_PER_EXERCISE,
} from '../../../src/proxy/allowance';
import type { Json } from '../../../src/proxy/policy';

const MIB = 1024 * 1024;

/** An engine of containers whose limits are known, answering a tick later, as a real one would. */
function fakeEngine(containers: Array<{ Id: string; memory: number }>, networks = 0): AllowanceLookups {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    async ownContainerIds(): Promise<Json[]> {
      await tick();
      return containers.map(({ Id }) => ({ Id }));
    },
    async ownNetworks(): Promise<Json[]> {
      await tick();
      return Array.from({ length: networks }, (_, index) => ({ Id: `n${index}` }));
    },
    async containerDetails(id: string): Promise<Json | undefined> {
      await tick();
      const found = containers.find((container) => container.Id === id);
      return found === undefined ? undefined : { HostConfig: { Memory: found.memory, PidsLimit: 16 } };
    },
  };
}

/** A host whose half is 1 GiB: the exercise's containers may hold 1 GiB together. */
const HOST = { totalMemory: 2048 * MIB, pidMax: 32768, concurrentExercises: 1 };

function allowance(lookups: AllowanceLookups, host = HOST): ExerciseAllowance {
  return new ExerciseAllowance(lookups, ['org.docker-autograder.run=r'], new VirtualNames('r-1'), host);
}

async function outcomes(promises: Array<Promise<() => void>>): Promise<Array<'created' | string>> {
  const settled = await Promise.allSettled(promises);
  return settled.map((result) =>
    result.status === 'fulfilled' ? 'created' : String((result.reason as Error).message),
  );
}

describe("an exercise's allowance", () => {
  it('counts the creates under way against the budget: of four 400 MiB containers sent at once, two fit in 1 GiB', async () => {
    const gate = allowance(fakeEngine([]));
    const asked = { Memory: 400 * MIB, PidsLimit: 16 };
    const results = await outcomes([1, 2, 3, 4].map(() => gate.reserveContainer(asked)));
    expect(results.filter((result) => result === 'created')).toHaveLength(2);
    for (const refused of results.filter((result) => result !== 'created'))
      expect(refused).toMatch(/may use 1024 MiB of memory together, and 224 MiB is left/);
  });

  it('gives the budget back when a create is over (its container then counts from the engine)', async () => {
    const gate = allowance(fakeEngine([]));
    const asked = { Memory: 600 * MIB, PidsLimit: 16 };
    const release = await gate.reserveContainer(asked);
    await expect(gate.reserveContainer(asked)).rejects.toThrow(/424 MiB is left/);
    release();
    await expect(gate.reserveContainer(asked)).resolves.toBeTypeOf('function');
  });

  it('counts the containers that exist, at their limits', async () => {
    const gate = allowance(fakeEngine([{ Id: 'a', memory: 900 * MIB }]));
    await expect(gate.reserveContainer({ Memory: 200 * MIB, PidsLimit: 16 })).rejects.toThrow(
      /124 MiB is left/,
    );
    await expect(gate.reserveContainer({ Memory: 100 * MIB, PidsLimit: 16 })).resolves.toBeTypeOf('function');
  });

  it('shares the host with the exercises graded at once', async () => {
    const shared = allowance(fakeEngine([]), { ...HOST, concurrentExercises: 2 });
    await expect(shared.reserveContainer({ Memory: 600 * MIB, PidsLimit: 16 })).rejects.toThrow(
      /may use 512 MiB of memory together/,
    );
  });

  it(`stops networks at ${MAX_NETWORKS_PER_EXERCISE}, counting those under way`, async () => {
    const gate = allowance(fakeEngine([], MAX_NETWORKS_PER_EXERCISE - 2));
    const results = await outcomes([1, 2, 3].map(() => gate.reserveNetwork()));
    expect(results.slice(0, 2)).toEqual(['created', 'created']);
    expect(results[2]).toMatch(`already has ${MAX_NETWORKS_PER_EXERCISE} networks`);
  });
});
