import type { Failure, RunContext } from '../run/context';
import type { StepKinds } from '../spec/types';

/** How one step kind is carried out. A returned Failure is the student's; InfraError is thrown. */
export interface StepDefinition<K extends keyof StepKinds> {
  kind: K;
  describe(step: StepKinds[K]): string;
  run(step: StepKinds[K], context: RunContext): Promise<Failure | undefined>;
}
