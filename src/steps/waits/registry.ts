// Every wait condition, by its key in `wait:`. Adding one: its file, its line here, its test.
import type { WaitConditions, WaitKey } from '../../spec/types';
import type { WaitCondition, WaitDefinition } from './definition';
import { exitedWait } from './exited';
import { healthyWait } from './healthy';
import { httpWait } from './http';
import { logWait } from './log';
import { portWait } from './port';

/**
 * In the order the language lists them: the schema's `wait` and the rules' messages. A key of
 * WaitConditions missing here fails to compile.
 */
const WAITS: { [K in WaitKey]: WaitDefinition<K> } = {
  log: logWait,
  http: httpWait,
  port: portWait,
  healthy: healthyWait,
  exited: exitedWait,
};

/** Every condition, as the composing functions take them. */
export type AnyWaitDefinition = { [K in WaitKey]: WaitDefinition<K> }[WaitKey];

/** The conditions in the language's order: the schema and the semantic rules are composed from it. */
export const WAIT_DEFINITIONS: readonly AnyWaitDefinition[] = Object.values(WAITS);

/**
 * The order the conditions are checked and worded in, the cheapest first: what the engine tells
 * (state, output) before what must be probed.
 */
const CHECK_ORDER: { [K in WaitKey]: number } = { exited: 0, log: 1, healthy: 2, port: 3, http: 4 };
const CHECKED_KEYS = (Object.keys(WAITS) as WaitKey[]).sort((a, b) => CHECK_ORDER[a] - CHECK_ORDER[b]);

/** The conditions `wait` gives, in the order they are checked. */
export function conditionsOf(wait: WaitConditions): WaitCondition[] {
  return CHECKED_KEYS.flatMap((key) => conditionOf(WAITS[key], wait) ?? []);
}

function conditionOf<K extends WaitKey>(
  definition: WaitDefinition<K>,
  wait: WaitConditions,
): WaitCondition | undefined {
  const value = wait[definition.key];
  return value === undefined ? undefined : definition.of(value);
}

/** What a wait expects, in words, for the "expected" side of a failure. */
export function describeConditions(wait: WaitConditions): string {
  const expected = conditionsOf(wait).map((condition) => condition.expected);
  return expected.length === 0 ? 'the container is running' : expected.join(', and ');
}
