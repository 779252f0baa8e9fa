// The aggregate budget (budget.ts) applied at container create: the exercise's containers, read
// from the engine, and this host's figures.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { HARDENED_LIMITS } from '../engine/engine';
import { budgetRefusal, exerciseBudget, type HostFigures, limitsOf, type Resources } from './budget';
import type { Json } from './policy';

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
