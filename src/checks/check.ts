import type { Failure, RunContext } from '../run/context';
import type { SourceLocation } from '../shared/errors';
import type { CheckKind, CheckKinds } from '../spec/types';

/** Observed values, keyed like the check's `expect` (stdout, status, workdir, ...). */
export type Facts = Record<string, unknown>;

export type Observation =
  | {
      facts: Facts;
      /** Where in the student's files each fact comes from (e.g. the Dockerfile's CMD line). */
      locations?: Record<string, SourceLocation>;
      /** What the student should know when the check fails (e.g. where the container is instead). */
      note?: string;
    }
  | { failure: Failure };

/** How one check kind observes. Comparing with `expect` is shared (evaluate.ts). */
export interface CheckDefinition<K extends CheckKind> {
  kind: K;
  observe(target: CheckKinds[K]['target'], context: RunContext): Promise<Observation>;
}
