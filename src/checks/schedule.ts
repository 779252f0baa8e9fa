// In which order, and how together, an exercise's checks run. Results are always reported in
// spec order; only the running is grouped:
// - `alone`: one check at a time, in spec order. Checks with `steps` (they change things),
//   `required` ones (the gate decides whether the next checks run at all), and every kind that
//   may change what later checks see (http, reach, build-cache, commands that cannot share an
//   exec) run this way.
// - `batch`: consecutive command checks on the same container that can share one exec
//   (exec-batch.ts): they still run one after the other, in order, inside it.
// - `together`: consecutive checks that only read (an image's or container's config, a file,
//   logs, the student's files) run concurrently, a few at a time. Nothing runs while they do,
//   so none of them can see another's effect, and the order among them cannot matter.
import type { CheckSpec } from '../spec/types';
import { isBatchable } from './exec-batch';
import { type AnyCheckSpec, CHECKS, type ComposedChecks } from './registry';

export type CheckUnit =
  | { kind: 'alone'; index: number }
  | { kind: 'batch'; indices: number[] }
  | { kind: 'together'; indices: number[] };

/** How many read-only checks run at once. */
export const READ_CONCURRENCY = 4;

/** Each kind says whether it only reads (its definition's readOnly). */
function readsOnly(check: AnyCheckSpec, kinds: ComposedChecks): boolean {
  return check.steps === undefined && check.required !== true && kinds.readsOnly(check);
}

export function planChecks(checks: readonly CheckSpec[], kinds: ComposedChecks = CHECKS): CheckUnit[] {
  const units: CheckUnit[] = [];
  for (const [index, check] of checks.entries()) {
    const last = units.at(-1);
    if (isBatchable(check)) {
      const container = check.exec?.container;
      const previous = last?.kind === 'batch' ? checks[last.indices.at(-1) ?? -1] : undefined;
      if (last?.kind === 'batch' && previous?.exec?.container === container) last.indices.push(index);
      else units.push({ kind: 'batch', indices: [index] });
    } else if (readsOnly(check, kinds)) {
      if (last?.kind === 'together') last.indices.push(index);
      else units.push({ kind: 'together', indices: [index] });
    } else {
      units.push({ kind: 'alone', index });
    }
  }
  // A batch of one is an exec of its own; a group of one is just one check.
  return units.map((unit) =>
    unit.kind !== 'alone' && unit.indices.length === 1
      ? { kind: 'alone', index: unit.indices[0] ?? 0 }
      : unit,
  );
}
