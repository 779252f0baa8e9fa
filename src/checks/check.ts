import type { Failure, RunContext } from '../run/context';
import type { CheckKind, CheckKinds } from '../spec/types';

/** Observed values, keyed like the check's `expect` (stdout, status, workdir, ...). */
export type Facts = Record<string, unknown>;

export type Observation = { facts: Facts } | { failure: Failure };

/** How one check kind observes. Comparing with `expect` is shared (evaluate.ts). */
export interface CheckDefinition<K extends CheckKind> {
  kind: K;
  observe(target: CheckKinds[K]['target'], context: RunContext): Promise<Observation>;
}
