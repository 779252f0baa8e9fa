// `healthy: true`: the container's healthcheck (its image's, or the run step's) says healthy.
import type { WaitDefinition } from './definition';

export const healthyWait: WaitDefinition<'healthy'> = {
  key: 'healthy',
  schema: { const: true, description: "The container's healthcheck reports healthy." },
  of: () => ({
    expected: 'health is "healthy"',
    checkState(state) {
      if (state.health === undefined) {
        return { reason: 'it has no healthcheck (neither its image nor the step defines one)', final: true };
      }
      if (state.health !== 'healthy')
        return { reason: `its health is "${state.health}", expected "healthy"` };
      return undefined;
    },
  }),
};
