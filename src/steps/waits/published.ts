// The published host port that port and http conditions probe.
import type { ContainerState } from '../../engine/engine';
import { hostPortOf } from '../../run/resolve';
import type { Pending } from './definition';

export function notPublished(port: number): string {
  return `port ${port} is not published`;
}

/** Publishing does not change while a container runs: waiting cannot help. */
export function unpublishedPending(port: number, state: ContainerState): Pending | undefined {
  return hostPortOf(state, port) === undefined ? { reason: notPublished(port), final: true } : undefined;
}
