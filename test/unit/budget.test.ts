import { describe, expect, it } from 'vitest';
import { budgetRefusal, exerciseBudget, layerSizeRefusal, limitsOf } from '../../src/proxy/budget';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const PER_CONTAINER = { memory: 512 * MIB, pids: 256 };

describe("an exercise's aggregate budget", () => {
  it('is never more than half the host memory, even when the containers could hold more', () => {
    const budget = exerciseBudget(
      { totalMemory: 8 * GIB, pidMax: 32768, concurrentExercises: 1 },
      PER_CONTAINER,
      50,
    );
    expect(budget.memory).toBe(4 * GIB);
    expect(budget.memory).toBeLessThan(50 * PER_CONTAINER.memory);
    expect(budget.pids).toBe(8192);
  });

  it('is shared by the exercises graded at once, so that all of them stay within half the host', () => {
    const host = { totalMemory: 8 * GIB, pidMax: 32768, concurrentExercises: 4 };
    const budget = exerciseBudget(host, PER_CONTAINER, 50);
    expect(budget.memory * host.concurrentExercises).toBeLessThanOrEqual(host.totalMemory / 2);
    expect(budget.pids * host.concurrentExercises).toBeLessThanOrEqual(host.pidMax / 4);
  });

  it('is the containers’ own caps on a large host', () => {
    const budget = exerciseBudget(
      { totalMemory: 256 * GIB, pidMax: 4194304, concurrentExercises: 1 },
      PER_CONTAINER,
      50,
    );
    expect(budget).toEqual({ memory: 50 * 512 * MIB, pids: 50 * 256 });
  });

  it('lets a container in while it fits, and refuses the one that does not, saying what is left', () => {
    const budget = { memory: 2 * GIB, pids: 2000 };
    const three = [PER_CONTAINER, PER_CONTAINER, PER_CONTAINER];
    expect(budgetRefusal(PER_CONTAINER, three, budget)).toBeUndefined();
    expect(budgetRefusal(PER_CONTAINER, [...three, PER_CONTAINER], budget)).toMatch(
      /may use 2048 MiB of memory together, and 0 MiB is left/,
    );
    expect(
      budgetRefusal({ memory: 64 * MIB, pids: 16 }, [...three, { memory: 448 * MIB, pids: 16 }], budget),
    ).toBe(undefined);
  });

  it('refuses on processes as on memory', () => {
    const budget = { memory: 100 * GIB, pids: 600 };
    expect(budgetRefusal(PER_CONTAINER, [PER_CONTAINER, PER_CONTAINER], budget)).toMatch(
      /may run 600 processes together, and 88 are left/,
    );
  });

  it('counts a container without limits at the cap', () => {
    expect(limitsOf({ Memory: 0, PidsLimit: null }, PER_CONTAINER)).toEqual(PER_CONTAINER);
    expect(limitsOf({ Memory: 64 * MIB, PidsLimit: 32 }, PER_CONTAINER)).toEqual({
      memory: 64 * MIB,
      pids: 32,
    });
    expect(limitsOf(undefined, PER_CONTAINER)).toEqual(PER_CONTAINER);
  });

  it('says when a writable layer is past its bound', () => {
    expect(layerSizeRefusal(2 * GIB, GIB)).toMatch(/wrote 2048 MiB .* more than the 1024 MiB allowed/);
    expect(layerSizeRefusal(GIB, GIB)).toBeUndefined();
    expect(layerSizeRefusal(undefined, GIB)).toBeUndefined();
  });
});
