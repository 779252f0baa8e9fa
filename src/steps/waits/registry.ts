// Every wait condition, by its key in `wait:`. Adding one: its file, its line here, its test.
import type { WaitConditions, WaitKey } from '../../spec/types';
import type { WaitCondition, WaitDefinition } from './definition';
import { exitedWait } from './exited';
import { healthyWait } from './healthy';
import { httpWait } from './http';
import { logWait } from './log';
import { portWait } from './port';

/**
 * In the order the conditions are checked and worded, the cheapest first: what the engine tells
 * (state, output) before what must be probed. A key of WaitConditions missing here fails to compile.
 */
const WAITS: { [K in WaitKey]: WaitDefinition<K> } = {
  exited: exitedWait,
  log: logWait,
  healthy: healthyWait,
  port: portWait,
  http: httpWait,
};

/** The conditions `wait` gives, in the order above. */
export function conditionsOf(wait: WaitConditions): WaitCondition[] {
  return (Object.keys(WAITS) as WaitKey[]).flatMap((key) => conditionOf(WAITS[key], wait) ?? []);
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
