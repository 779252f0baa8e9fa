// Waiting until a container is ready: the `wait` of run and recreate steps, and wait steps.
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { ContainerChange, ContainerState } from '../engine/engine';
import { type Failure, type RunContext, remainingMs } from '../run/context';
import { hostPortOf } from '../run/resolve';
import { describeHttpError } from '../shared/http-request';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import type { WaitConditions } from '../spec/types';
import { plural, tail } from './text';

/** Probes (port, HTTP) learn of nothing from the engine: tried again after a short, growing pause. */
const FIRST_RETRY_MS = 20;
const MAX_RETRY_MS = 250;
/** What only the engine can tell (exit, health, output) is asked again only this rarely, in case an event was lost. */
const UNTOLD_RECHECK_MS = 5000;
/** At most one log read in this time, however much the container writes. */
const MIN_LOG_READ_GAP_MS = 50;
const PROBE_TIMEOUT_MS = 2000;
/**
 * docker-proxy accepts every connection on a published port and closes it within milliseconds
 * when nothing listens inside the container, so a port is open only if the connection survives
 * this long (or the server speaks first).
 */
const TCP_SETTLE_MS = 250;
const LOG_BYTES = 256 * 1024;
/** A readiness line is looked for among the latest lines, so a flood before it cannot hide it. */
const WAIT_LOG_LINES = 5000;
const LOG_TAIL_LINES = 30;

/** Why the wait is not over yet; `final` when waiting longer cannot help, `probe` when only trying again can tell. */
interface Pending {
  reason: string;
  final?: boolean;
  probe?: boolean;
}

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
 * once, unless the condition is `exited`: then stopping is what was waited for. The engine's
 * events and the container's output wake the wait; ports and HTTP are tried again with backoff.
 */
export async function waitUntilReady(
  displayName: string,
  containerId: string,
  wait: WaitConditions,
  context: RunContext,
): Promise<Failure | undefined> {
  const limitMs = remainingMs(context, timeoutMs(wait.timeout, LIMITS.wait));
  const deadline = context.now() + limitMs;
  const log = logCondition(wait);
  const changes = new Changes();
  const following = new AbortController();
  try {
    await follow(context, containerId, log !== undefined, changes, following.signal);
    let state: ContainerState | undefined;
    let logPending: Pending | undefined;
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
      if (!state.running && !wait.exited && !restarting) {
        return {
          message: `container "${displayName}" stopped (${exitDescription(state)}) before it was ready`,
          expected: describeConditions(wait),
          actual: `${state.status}, ${exitDescription(state)}`,
          log: await logTail(context, containerId),
        };
      }
      if (log && (changes.output || !changes.live)) {
        // A container that writes without pause would otherwise have its log read without pause.
        const sinceRead = context.now() - lastLogRead;
        if (sinceRead < MIN_LOG_READ_GAP_MS) await delay(MIN_LOG_READ_GAP_MS - sinceRead);
        lastLogRead = context.now();
        changes.output = false;
        logPending = await logConditionPending(log, containerId, context);
      }
      // Output matters to a log condition only.
      changes.output = false;
      pending = await pendingCondition(wait, logPending, state, context, deadline);
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

interface LogCondition {
  pattern: RegExp;
  source: string;
  count: number;
}

function logCondition(wait: WaitConditions): LogCondition | undefined {
  if (wait.log === undefined) return undefined;
  const source = typeof wait.log === 'string' ? wait.log : wait.log.matches;
  const count = typeof wait.log === 'string' ? 1 : (wait.log.count ?? 1);
  return { pattern: new RegExp(source), source, count };
}

async function logConditionPending(
  log: LogCondition,
  containerId: string,
  context: RunContext,
): Promise<Pending | undefined> {
  const logs = await context.engine.logs(containerId, { maxBytes: LOG_BYTES, tailLines: WAIT_LOG_LINES });
  const matched = countMatchingLines(`${logs.stdout}\n${logs.stderr}`, log.pattern);
  if (matched >= log.count) return undefined;
  return {
    reason:
      log.count === 1
        ? `no output line matched /${log.source}/`
        : `${plural(matched, 'output line')} matched /${log.source}/, expected at least ${log.count}`,
  };
}

/** The first condition that does not hold yet, cheapest first; undefined when all hold. */
async function pendingCondition(
  wait: WaitConditions,
  logPending: Pending | undefined,
  state: ContainerState,
  context: RunContext,
  deadline: number,
): Promise<Pending | undefined> {
  if (wait.exited && state.running) return { reason: 'it is still running' };
  if (logPending) return logPending;
  if (wait.healthy) {
    if (state.health === undefined) {
      return { reason: 'it has no healthcheck (neither its image nor the step defines one)', final: true };
    }
    if (state.health !== 'healthy') return { reason: `its health is "${state.health}", expected "healthy"` };
  }
  if (!state.running) {
    // Ports and HTTP of a stopped container: nothing to probe, and the caller reports the exit.
    if (wait.port !== undefined || wait.http) return { reason: `it has exited (${exitDescription(state)})` };
    return undefined;
  }
  for (const port of [wait.port, wait.http?.port]) {
    // Publishing does not change while a container runs: waiting cannot help.
    if (port !== undefined && hostPortOf(state, port) === undefined) {
      return { reason: `port ${port} is not published`, final: true };
    }
  }
  if (wait.port !== undefined) {
    const reason = await tcpPending(wait.port, hostPortOf(state, wait.port), deadline, context);
    if (reason) return { reason, probe: true };
  }
  if (wait.http) {
    const reason = await httpPending(wait.http, hostPortOf(state, wait.http.port), context, deadline);
    if (reason) return { reason, probe: true };
  }
  return undefined;
}

export function countMatchingLines(text: string, pattern: RegExp): number {
  let count = 0;
  for (const line of text.split(/\r?\n/)) if (pattern.test(line)) count += 1;
  return count;
}

/** What a wait expects, in words, for the "expected" side of a failure. */
export function describeConditions(wait: WaitConditions): string {
  const parts: string[] = [];
  if (wait.exited) parts.push('the container has exited');
  if (typeof wait.log === 'string') parts.push(`an output line matches /${wait.log}/`);
  else if (wait.log) {
    const count = wait.log.count ?? 1;
    parts.push(
      count === 1
        ? `an output line matches /${wait.log.matches}/`
        : `at least ${count} output lines match /${wait.log.matches}/`,
    );
  }
  if (wait.healthy) parts.push('health is "healthy"');
  if (wait.port !== undefined) parts.push(`port ${wait.port} accepts TCP connections`);
  if (wait.http) {
    const status = wait.http.status === undefined ? 'a status below 500' : `status ${wait.http.status}`;
    parts.push(`GET ${wait.http.path ?? '/'} on port ${wait.http.port} answers ${status}`);
  }
  return parts.length === 0 ? 'the container is running' : parts.join(', and ');
}

function exitDescription(state: ContainerState): string {
  return state.oomKilled ? `exit code ${state.exitCode}, out of memory` : `exit code ${state.exitCode}`;
}

async function tcpPending(
  port: number,
  hostPort: number | undefined,
  deadline: number,
  context: RunContext,
): Promise<string> {
  if (hostPort === undefined) return `port ${port} is not published`;
  const timeout = Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - context.now()));
  const outcome = await probeTcp('127.0.0.1', hostPort, timeout);
  return outcome === 'open' ? '' : `port ${port}: ${outcome}`;
}

/** 'open', or why not. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (outcome: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('no connection'), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      // Held by a ref'd timer, like every wait: the probe cannot outlive its deadline.
      setTimeout(() => finish('open'), Math.min(TCP_SETTLE_MS, timeoutMs));
    });
    socket.once('data', () => finish('open'));
    socket.once('end', () => finish('the connection was closed at once (nothing listens on it)'));
    socket.once('close', () => finish('the connection was closed at once (nothing listens on it)'));
    socket.once('error', (error) => finish(describeHttpError(error)));
  });
}

async function httpPending(
  probe: NonNullable<WaitConditions['http']>,
  hostPort: number | undefined,
  context: RunContext,
  deadline: number,
): Promise<string> {
  if (hostPort === undefined) return `port ${probe.port} is not published`;
  const path = probe.path ?? '/';
  try {
    const response = await context.http({
      host: '127.0.0.1',
      port: hostPort,
      path,
      timeoutMs: Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - context.now())),
      maxBodyBytes: 1024,
    });
    const ready = probe.status === undefined ? response.status < 500 : response.status === probe.status;
    return ready ? '' : `GET ${path} on port ${probe.port} answered ${response.status}`;
  } catch (error) {
    return `GET ${path} on port ${probe.port}: ${describeHttpError(error)}`;
  }
}

export async function logTail(context: RunContext, containerId: string): Promise<string> {
  const logs = await context.engine.logs(containerId, { maxBytes: LOG_BYTES, tailLines: LOG_TAIL_LINES });
  return tail([logs.stdout, logs.stderr].filter(Boolean).join('\n'), LOG_TAIL_LINES);
}
