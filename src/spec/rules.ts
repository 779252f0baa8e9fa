// The rules a kind's `validate` may apply to its part of an exercise, beyond what the JSON
// Schema says (src/spec/semantics.ts implements them). Paths are relative to the kind's own
// object (a check's target, a step's body): ['timeout'] is `<kind>.timeout`, [] the object.
import type { Limit } from './duration';
import type { Duration, RunStep, WaitConditions } from './types';

export type SpecPath = Array<string | number>;

export interface KindRules {
  /** Records a problem at `at`. */
  problem(at: SpecPath, message: string): void;
  /** A timeout over its kind's maximum. */
  timeout(at: SpecPath, value: Duration | undefined, limit: Limit): void;
  /** A path that must stay inside the submission folder. */
  relativePath(at: SpecPath, value: string | undefined): void;
  /** A regular expression that must compile. */
  regex(at: SpecPath, pattern: string): void;
  /** A container reference: a run step's name, unless a script or compose step may have made it. */
  container(at: SpecPath, ref: string, runOnly?: boolean): void;
  /** A build step's name. */
  build(at: SpecPath, name: string): void;
  /** The ports a run step publishes ([] when none); undefined when no run step has this name. */
  publishedPorts(container: string): number[] | undefined;
  /** A script step of the exercise gives the student a remote machine (`remote: true`). */
  readonly remote: boolean;
}

export interface CheckRules extends KindRules {
  /** Records a problem with one of the check's expectations (`expect.<key>`). */
  expectProblem(key: string, message: string): void;
}

export interface StepRules extends KindRules {
  /** A name a later step or check refers to (build, run, network, volume): unique among steps. */
  uniqueName(at: SpecPath, name: string): void;
  /** Makes the step's name known to later references. */
  declare(what: { build: string } | { run: RunStep } | { network: string }): void;
  /** A network a container joins: a network step's, a builtin one, never the host's. */
  network(at: SpecPath, name: string): void;
  /** The wait conditions' keys (log, http, ...), in the language's order. */
  readonly waitConditions: readonly string[];
  /** Wait conditions on a container that publishes `ports` (undefined: not known). */
  wait(at: SpecPath, wait: WaitConditions | undefined, ports: number[] | undefined): void;
}

/** The rules a wait condition may apply; paths are relative to its value (`wait.<key>`). */
export interface WaitConditionRules {
  regex(at: SpecPath, pattern: string): void;
  /** A port the container must publish (when the exercise knows which it does). */
  published(at: SpecPath, port: number): void;
}

export function listOrNone(items: ReadonlyArray<string | number> | undefined): string {
  return items && items.length > 0 ? items.join(', ') : 'none';
}
