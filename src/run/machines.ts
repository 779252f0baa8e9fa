// The machines an exercise's student drives: their own (the local engine, through the script's
// gate) and, for a script step with `remote: true`, a second one reached over SSH
// (steps/remote-machine.ts). Both are the same engine underneath; what makes them two machines
// is the scope. The remote machine's gate has a scope of its own, so its names, labels and
// listings are its own: a container `web` made through it is not the `web` made locally, and
// each side sees only its own, exactly as with two daemons (docs/decisions.md).
import { remoteScope } from '../naming/resource-names';
import type { Machine } from '../spec/types';
import { Resources, type RunContext } from './context';

/**
 * The context through which checks look at one machine: the exercise's own for the local one;
 * for the remote one, its scope, and none of the grader's steps (they ran on the local engine).
 */
export function onMachine(context: RunContext, machine: Machine | undefined): RunContext {
  if (machine !== 'remote') return context;
  return { ...context, scope: remoteScope(context.scope), resources: new Resources() };
}

/** How a message names a machine. */
export function machineName(machine: Machine): string {
  return machine === 'remote' ? 'the remote machine' : 'your own machine (the local Docker daemon)';
}
