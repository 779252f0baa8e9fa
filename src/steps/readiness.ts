// Waiting until a container is ready: the `wait` of run and recreate steps, and wait steps.
// The conditions themselves are in waits/, one file each.
import { setTimeout as delay } from 'node:timers/promises';
import type { ContainerChange, ContainerState } from '../engine/engine';
import { type Failure, type RunContext, remainingMs } from '../run/context';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import type { WaitConditions } from '../spec/types';
import { tail } from './text';
import type { Pending, WaitCondition } from './waits/definition';
import { conditionsOf, describeConditions } from './waits/registry';

/** Probes (port, HTTP) learn of nothing from the engine: tried again after a short, growing pause. */
const FIRST_RETRY_MS = 20;
const MAX_RETRY_MS = 250;
/** What only the engine can tell (exit, health, output) is asked again only this rarely, in case an event was lost. */
const UNTOLD_RECHECK_MS = 5000;
/** At most one log read in this time, however much the container writes. */
const MIN_LOG_READ_GAP_MS = 50;
const PROBE_TIMEOUT_MS = 2000;
/** Below this much time left, a probe is not started again: the last one's answer stands. */
const MIN_PROBE_MS = 100;
const LOG_BYTES = 256 * 1024;
const LOG_TAIL_LINES = 30;

/**
 * What changed since the wait last looked, as the engine tells it (Engine.watchContainer): its
 * events say when to inspect again, new output when to read the log again. Without them (an
 * engine that cannot follow, or a stream that ended) everything is asked again each time.
 */
class Changes {
  state = true;
  output = true;
  live = false;
  private wake: (() => void) | undefined;

  notify(change: ContainerChange): void {
    if (change === 'ended') this.live = false;
    if (change === 'output') this.output = true;
    else {
      this.state = true;
      // The followed output ends when the container stops: after a restart, only a state
      // event says that new lines may have come.
      this.output = true;
    }
    this.wake?.();
  }

  /** Resolves true at the next change, false when ms passed without one. */
  next(ms: number): Promise<boolean> {
    if (this.state || this.output) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (changed: boolean): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(changed);
      };
      const timer = setTimeout(() => done(false), ms);
      this.wake = () => done(true);
    });
  }

  /** Looks at everything again, as if the engine had told of a change. */
  recheck(): void {
    this.state = true;
    this.output = true;
  }
}

/**
 * Waits until every condition of `wait` holds, or the time is up. A container that stops fails at
 * once, unless a condition awaits its exit (`exited`): then stopping is what was waited for. The
 * engine's events and the container's output wake the wait; probes (ports, HTTP) are tried again
 * with backoff.
 */
export async function waitUntilReady(
  displayName: string,
  containerId: string,
  wait: WaitConditions,
  context: RunContext,
): Promise<Failure | undefined> {
  const limitMs = remainingMs(context, timeoutMs(wait.timeout, LIMITS.wait));
  const deadline = context.now() + limitMs;
  const conditions = conditionsOf(wait);
  const readsOutput = conditions.filter((condition) => condition.checkOutput !== undefined);
  const awaitsExit = conditions.some((condition) => condition.awaitsExit);
  const changes = new Changes();
  const following = new AbortController();
  try {
    await follow(context, containerId, readsOutput.length > 0, changes, following.signal);
    let state: ContainerState | undefined;
    /** What each condition's output said when it was last read. */
    const outputPending = new Map<WaitCondition, Pending | undefined>();
    let pending: Pending | undefined;
    let retryMs = FIRST_RETRY_MS;
    let lastLogRead = Number.NEGATIVE_INFINITY;
    for (;;) {
      if (state === undefined || changes.state || !changes.live) {
        changes.state = false;
        state = await context.engine.inspectContainer(containerId);
      }
      // Restarting under its restart policy: not stopped for good, so the wait goes on.
      const restarting = state.status === 'restarting';
      if (!state.running && !awaitsExit && !restarting) {
        return {
          message: `container "${displayName}" stopped (${exitDescription(state)}) before it was ready`,
          expected: describeConditions(wait),
          actual: `${state.status}, ${exitDescription(state)}`,
          log: await logTail(context, containerId),
        };
      }
      if (readsOutput.length > 0 && (changes.output || !changes.live)) {
        // A container that writes without pause would otherwise have its log read without pause.
        const sinceRead = context.now() - lastLogRead;
        if (sinceRead < MIN_LOG_READ_GAP_MS) await delay(MIN_LOG_READ_GAP_MS - sinceRead);
        lastLogRead = context.now();
        changes.output = false;
        for (const condition of readsOutput) {
          outputPending.set(condition, await condition.checkOutput?.(containerId, context));
        }
      }
      // Output matters to the conditions that read it only.
      changes.output = false;
      pending = await pendingCondition(conditions, outputPending, state, context, deadline, pending);
      if (pending === undefined) return undefined;
      if (pending.final || (!state.running && !restarting)) {
        return {
          message: `container "${displayName}" can never be ready: ${pending.reason}`,
          expected: describeConditions(wait),
          actual: pending.reason,
          log: await logTail(context, containerId),
        };
      }
      const left = deadline - context.now();
      const pauseMs = pending.probe || !changes.live ? retryMs : UNTOLD_RECHECK_MS;
      // A probe started at the deadline would have no time to answer: the last one stands.
      if (pending.probe ? pauseMs >= left : left <= 0) break;
      if (!(await changes.next(Math.min(pauseMs, left)))) changes.recheck();
      if (pending.probe || !changes.live) retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
    return {
      message: `container "${displayName}" was not ready within ${formatDuration(limitMs)}: ${pending.reason}`,
      expected: describeConditions(wait),
      actual: pending.reason,
      log: await logTail(context, containerId),
    };
  } finally {
    following.abort();
  }
}

/** Follows the container where the engine can; a wait without it only asks more often. */
async function follow(
  context: RunContext,
  containerId: string,
  output: boolean,
  changes: Changes,
  signal: AbortSignal,
): Promise<void> {
  if (context.engine.watchContainer === undefined) return;
  try {
    await context.engine.watchContainer(containerId, { output }, (change) => changes.notify(change), signal);
    changes.live = true;
  } catch {
    // The wait asks the engine instead; if the engine is gone, the next call says so.
  }
}

/**
 * The first condition that does not hold yet; undefined when all hold. What the state and the
 * output say comes first, in the registry's order; the probes, slower, only after.
 */
async function pendingCondition(
  conditions: WaitCondition[],
  outputPending: Map<WaitCondition, Pending | undefined>,
  state: ContainerState,
  context: RunContext,
  deadline: number,
  previous: Pending | undefined,
): Promise<Pending | undefined> {
  for (const condition of conditions) {
    // A stopped container has nothing to probe, and the caller reports the exit.
    if (condition.probe && !state.running) return { reason: `it has exited (${exitDescription(state)})` };
    const pending = condition.checkState?.(state) ?? outputPending.get(condition);
    if (pending) return pending;
  }
  for (const condition of conditions) {
    if (condition.probe === undefined) continue;
    const leftMs = deadline - context.now();
    // A pause that overran (a loaded machine wakes timers late) can leave a probe only a few
    // milliseconds: its "no answer within 2 ms" would hide what the server really answered.
    if (previous?.probe && leftMs < MIN_PROBE_MS) return previous;
    const probeMs = Math.max(1, Math.min(PROBE_TIMEOUT_MS, leftMs));
    const reason = await condition.probe(state, context, probeMs);
    if (reason !== undefined) return { reason, probe: true };
  }
  return undefined;
}

function exitDescription(state: ContainerState): string {
  return state.oomKilled ? `exit code ${state.exitCode}, out of memory` : `exit code ${state.exitCode}`;
}

export async function logTail(context: RunContext, containerId: string): Promise<string> {
  const logs = await context.engine.logs(containerId, { maxBytes: LOG_BYTES, tailLines: LOG_TAIL_LINES });
  return tail([logs.stdout, logs.stderr].filter(Boolean).join('\n'), LOG_TAIL_LINES);
}
