// `exited: true`: the container ran to completion. Stopping is what is waited for, not a failure.
import type { WaitDefinition } from './definition';

export const exitedWait: WaitDefinition<'exited'> = {
  key: 'exited',
  schema: { const: true, description: 'The container has exited (for run-to-completion containers).' },
  of: () => ({
    expected: 'the container has exited',
    awaitsExit: true,
    checkState: (state) => (state.running ? { reason: 'it is still running' } : undefined),
  }),
};
