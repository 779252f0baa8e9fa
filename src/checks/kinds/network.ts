import type { RunContext } from '../../run/context';
import { friendlyName } from '../../run/resolve';
import type { CheckDefinition } from '../check';
import { findNetwork, studentLabels } from '../observed-names';

export const networkCheck: CheckDefinition<'network'> = {
  kind: 'network',
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
};

/** Attached containers by the names the exercise uses: run step, compose service, else engine name. */
async function memberNames(engineNames: string[], context: RunContext): Promise<string[]> {
  const names: string[] = [];
  for (const engineName of engineNames) {
    const state = await context.engine.findContainer(engineName);
    names.push(state === undefined ? engineName : friendlyName(state, context));
  }
  return names.sort();
}
