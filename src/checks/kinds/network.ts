// The `network` check: a network's existence, driver, internal flag, members and labels, by the
// names the student knows.
import type { RunContext } from '../../run/context';
import { friendlyName } from '../../run/shown';
import { expectSchema, matcher, objectOf, ref, required, text } from '../../spec/json-schema';
import { defineCheck } from '../check';
import { findNetwork, studentLabels } from '../observed-names';

export const networkCheck = defineCheck('network', {
  target: objectOf({
    name: required(text("A network step's name, a compose network's name, or an engine network name.")),
  }),
  expect: expectSchema({
    exists: matcher(),
    driver: matcher(),
    internal: matcher(),
    members: matcher('Names of attached containers (run step or compose service names where known).'),
    labels: ref('matcherMap'),
  }),
  readOnly: true,
  async observe(target, context) {
    const network = await findNetwork(target.name, context);
    if (network === undefined) return { facts: { exists: false } };
    return {
      facts: {
        exists: true,
        driver: network.driver,
        internal: network.internal,
        labels: studentLabels(network.labels),
        members: await memberNames(network.containers, context),
      },
    };
  },
});

/** Attached containers by the names the exercise uses: run step, compose service, else engine name. */
async function memberNames(engineNames: string[], context: RunContext): Promise<string[]> {
  const names: string[] = [];
  for (const engineName of engineNames) {
    const state = await context.engine.findContainer(engineName);
    names.push(state === undefined ? engineName : friendlyName(state, context));
  }
  return names.sort();
}
