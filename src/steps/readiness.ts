import { setTimeout as delay } from 'node:timers/promises';
import { describeHttpError } from '../http/request';
import { type Failure, type RunContext, remainingMs } from '../run/context';
import { formatDuration, LIMITS, timeoutMs } from '../spec/duration';
import type { WaitSpec } from '../spec/types';
import { tail } from './build';

const POLL_INTERVAL_MS = 200;
const PROBE_TIMEOUT_MS = 2000;
const LOG_BYTES = 256 * 1024;
const LOG_TAIL_LINES = 30;

/** Polls until every condition of `wait` holds, the container stops, or the time is up. */
export async function waitUntilReady(
  stepName: string,
  containerId: string,
  wait: WaitSpec,
  context: RunContext,
): Promise<Failure | undefined> {
  const limitMs = remainingMs(context, timeoutMs(wait.timeout, LIMITS.wait));
  const deadline = context.now() + limitMs;
  const logPattern = wait.log === undefined ? undefined : new RegExp(wait.log, 'm');
  let pending = 'not checked yet';
  for (;;) {
    const state = await context.engine.inspectContainer(containerId);
    if (!state.running) {
      return {
        message: `container "${stepName}" stopped (exit code ${state.exitCode}${state.oomKilled ? ', out of memory' : ''}) before it was ready`,
        log: await logTail(context, containerId),
      };
    }
    pending = '';
    if (logPattern) {
      const logs = await context.engine.logs(containerId, { maxBytes: LOG_BYTES });
      if (!logPattern.test(`${logs.stdout}\n${logs.stderr}`))
        pending = `no output line matched /${wait.log}/`;
    }
    if (!pending && wait.http) {
      pending = await httpPending(wait.http, state.publishedPorts, context, deadline);
    }
    if (!pending) return undefined;
    if (context.now() + POLL_INTERVAL_MS >= deadline) break;
    await delay(POLL_INTERVAL_MS);
  }
  return {
    message: `container "${stepName}" was not ready within ${formatDuration(limitMs)}: ${pending}`,
    log: await logTail(context, containerId),
  };
}

async function httpPending(
  probe: NonNullable<WaitSpec['http']>,
  publishedPorts: Record<string, number>,
  context: RunContext,
  deadline: number,
): Promise<string> {
  const hostPort = publishedPorts[`${probe.port}/tcp`];
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
  const logs = await context.engine.logs(containerId, { maxBytes: LOG_BYTES });
  return tail([logs.stdout, logs.stderr].filter(Boolean).join('\n'), LOG_TAIL_LINES);
}
