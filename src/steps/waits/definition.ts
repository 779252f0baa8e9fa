// What a wait condition (a key of `wait:`) says about itself: its part of the exercise language
// (schema, rules) and how it is awaited. The schema (spec/exercise-schema.ts), the rules
// (spec/semantics.ts) and the loop that waits (../readiness.ts) go over the conditions through the
// registry and never name one.
import type { ContainerState } from '../../engine/engine';
import type { RunContext } from '../../run/context';
import type { JsonSchema } from '../../spec/json-schema';
import type { WaitConditionRules } from '../../spec/rules';
import type { WaitConditions, WaitKey } from '../../spec/types';

/** A condition as the spec gives it: `5432` for port, `{ port: 80, path: '/health' }` for http. */
export type WaitValue<K extends WaitKey> = NonNullable<WaitConditions[K]>;

/** Why the wait is not over yet; `final` when waiting longer cannot help, `probe` when only trying again can tell. */
export interface Pending {
  reason: string;
  final?: boolean;
  probe?: boolean;
}

/** One wait condition: its key, its schema and rules, and how it is made from its value in the spec. */
export interface WaitDefinition<K extends WaitKey> {
  key: K;
  /** Its property of `definitions.wait`. */
  schema: JsonSchema;
  /** The rules beyond the schema; paths are relative to its value (`wait.<key>`). */
  validate?(value: WaitValue<K>, rules: WaitConditionRules): void;
  of(value: WaitValue<K>): WaitCondition;
}

/**
 * One condition of a wait, checked once each time the loop looks. What it needs from the engine
 * is what it implements: the container's state (looked at again when the engine tells of an
 * event), its output (read again when the engine tells of new output), or a probe (tried again
 * after a short, growing pause, since nothing tells when it may succeed). The loop checks every
 * condition's state and output first, in the registry's order, and probes only after.
 */
export interface WaitCondition {
  /** What it expects, in words, for the "expected" side of a failure: `port 80 accepts TCP connections`. */
  expected: string;
  /** Stopping is what it waits for: a container that stops does not fail the wait. */
  awaitsExit?: true;
  /** What the container's state says: undefined when it holds. */
  checkState?(state: ContainerState): Pending | undefined;
  /** What the container's output says: undefined when it holds. */
  checkOutput?(containerId: string, context: RunContext): Promise<Pending | undefined>;
  /**
   * What trying says (a connection, a request) within timeoutMs: undefined when it holds, else
   * why not. Only a running container is probed; a stopped one fails the condition.
   */
  probe?(state: ContainerState, context: RunContext, timeoutMs: number): Promise<string | undefined>;
}
