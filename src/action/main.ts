// The action's main step: reads the inputs and where it runs, then grades (grade-mode.ts) or
// publishes a grade job's artifact (publish-mode.ts). Whatever stops either fails the step here.
import { readContext } from '../github/context';
import type { ActionDeps, ActionMode } from './core';
import { failStep } from './failure';
import { gradeMode } from './grade-mode';
import { type Mode, readInputs } from './inputs';
import { Outputs } from './outputs';
import { publishMode } from './publish-mode';

const MODES: Record<Mode, ActionMode> = { grade: gradeMode, publish: publishMode };

export async function run(deps: ActionDeps, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const outputs = new Outputs(deps.core);
  try {
    const inputs = readInputs(env, deps.core);
    const context = await readContext(env);
    await MODES[inputs.mode](inputs, context, outputs, deps);
  } catch (error) {
    failStep(deps.core, outputs, error);
  }
}
