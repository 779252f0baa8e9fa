// engine/operations: one group of the Engine interface's calls, made on the daemon through transport/.
//
// Containers: creation with the hardened defaults, lifecycle, inspection, processes and logs.
import type Docker from 'dockerode';
import { runLabels, withOwnLabelsSet } from '../../naming/labels';
import { DockerApiError, InfraError } from '../../shared/errors';
import { isRecord } from '../../shared/records';
import type {
  ContainerRequest,
  ContainerState,
  ContainerSummary,
  HealthcheckRequest,
  LogsOptions,
  LogsResult,
} from '../engine';
import { HARDENED_LIMITS, KEPT_CAPABILITIES } from '../engine';
import { isAlreadyGone } from '../faults';
import { shortId } from '../format';
import {
  checkedPort,
  checkedSeconds,
  checkNetworkMode,
  checkNetworkName,
  containerUrl,
  isIdOf,
  mountSettings,
  RESOURCE_NAME,
} from '../rules/guards';
import type { DialOptions, DockerClient } from '../transport/client';
import { asReadable, CappedBytes, followStream } from '../transport/streams';
import {
  asRawContainer,
  processCommands,
  type RawContainerSummary,
  toContainerState,
  toContainerSummary,
} from '../wire/docker-mapping';
import { connectNetwork } from './networks-volumes';

/** What `docker stop` gives a container before SIGKILL. */
const DEFAULT_STOP_SECONDS = 10;

/** docs/security.md, boundary 2: the defaults of every container the grader starts. */
const SECURE_HOST_CONFIG: Docker.HostConfig = {
  Privileged: false,
  CapDrop: ['ALL'],
  CapAdd: [...KEPT_CAPABILITIES],
  SecurityOpt: ['no-new-privileges'],
  PidsLimit: HARDENED_LIMITS.pids,
  Memory: HARDENED_LIMITS.memory,
  MemorySwap: HARDENED_LIMITS.memory,
  NanoCpus: HARDENED_LIMITS.nanoCpus,
  Ulimits: HARDENED_LIMITS.ulimits.map((limit) => ({ ...limit })),
  LogConfig: structuredClone(HARDENED_LIMITS.logConfig),
  Init: true,
  AutoRemove: false,
};

export async function createContainer(client: DockerClient, request: ContainerRequest): Promise<string> {
  const ports = (request.ports ?? []).map(checkedPort);
  const networks = request.networks ?? [];
  const networkMode = request.networkMode;
  if (networkMode !== undefined && (ports.length > 0 || networks.length > 0)) {
    throw new Error(
      `container ${request.name}: network mode ${JSON.stringify(networkMode)} cannot be combined with published ports or networks`,
    );
  }
  if (networkMode !== undefined) checkNetworkMode(networkMode);
  for (const network of networks) checkNetworkName(network.name);
  // The run label last, so that no caller-supplied label can hide a container from cleanup.
  const labels = { ...request.labels, ...runLabels(client.runId) };
  const mounts: Docker.MountSettings[] = [];
  for (const mount of request.mounts ?? []) mounts.push(await mountSettings(mount, labels));
  const [first, ...others] = networks;
  const hostConfig: Docker.HostConfig = { ...SECURE_HOST_CONFIG, Mounts: mounts };
  if (networkMode !== undefined) {
    hostConfig.NetworkMode = networkMode;
  } else {
    hostConfig.PortBindings = Object.fromEntries(
      ports.map((port) => [`${port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]]),
    );
    if (first !== undefined) hostConfig.NetworkMode = first.name;
  }
  if (request.restartPolicy !== undefined) {
    hostConfig.RestartPolicy = {
      Name: request.restartPolicy.name,
      ...(request.restartPolicy.name === 'on-failure' && request.restartPolicy.maximumRetryCount !== undefined
        ? { MaximumRetryCount: request.restartPolicy.maximumRetryCount }
        : {}),
    };
  }
  const options: Docker.ContainerCreateOptions = {
    name: request.name,
    Image: request.image,
    Cmd: request.cmd,
    Entrypoint: request.entrypoint,
    Env: request.env && Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
    User: request.user,
    WorkingDir: request.workdir,
    Hostname: request.hostname,
    Labels: withOwnLabelsSet(labels),
    ...(networkMode === undefined
      ? { ExposedPorts: Object.fromEntries(ports.map((port) => [`${port}/tcp`, {}])) }
      : {}),
    Healthcheck: request.healthcheck && healthConfig(request.healthcheck),
    HostConfig: hostConfig,
    ...(first !== undefined
      ? { NetworkingConfig: { EndpointsConfig: { [first.name]: { Aliases: first.aliases ?? [] } } } }
      : {}),
  };
  const container = await client.call(`create container ${request.name}`, (signal) =>
    client.docker.createContainer({ ...options, abortSignal: signal }),
  );
  try {
    // Before the start, so that the container's program sees every network from its first instant.
    for (const network of others) await connectNetwork(client, network.name, container.id, network.aliases);
  } catch (error) {
    // A half-attached container is not what was asked for: it goes, and the reason is reported.
    await removeContainer(client, container.id).catch(() => undefined);
    throw error;
  }
  return container.id;
}

export async function startContainer(client: DockerClient, id: string): Promise<void> {
  try {
    await client.call(`start container ${shortId(id)}`, (signal) =>
      client.docker.getContainer(id).start({ abortSignal: signal }),
    );
  } catch (error) {
    // 304: already running, which is what was asked for.
    if (error instanceof DockerApiError && error.statusCode === 304) return;
    throw error;
  }
}

export async function inspectContainer(client: DockerClient, id: string): Promise<ContainerState> {
  const raw = await client.idempotentCall(`inspect container ${shortId(id)}`, (signal) =>
    client.docker.getContainer(id).inspect({ abortSignal: signal }),
  );
  return toContainerState(asRawContainer(raw));
}

export async function stopContainer(
  client: DockerClient,
  id: string,
  timeoutSeconds = DEFAULT_STOP_SECONDS,
): Promise<void> {
  await tolerateNotRunning(
    postContainerAction(client, id, 'stop', {
      waitSeconds: checkedSeconds(timeoutSeconds),
      // 304: already stopped, which is what was asked for.
      statusCodes: { 204: true, 304: true, 404: 'no such container', 500: 'server error' },
    }),
  );
}

/** Pauses a running container (the cgroup freezer); false when it was not running or is gone. */
export async function pauseContainer(client: DockerClient, id: string): Promise<boolean> {
  try {
    await postContainerAction(client, id, 'pause', { statusCodes: PAUSE_STATUS_CODES });
    return true;
  } catch (error) {
    if (isGoneOrNotRunning(error)) return false;
    throw error;
  }
}

/** Unpauses a container; one no longer paused, or gone, is fine. */
export async function unpauseContainer(client: DockerClient, id: string): Promise<void> {
  try {
    await postContainerAction(client, id, 'unpause', { statusCodes: PAUSE_STATUS_CODES });
  } catch (error) {
    if (isGoneOrNotRunning(error)) return;
    throw error;
  }
}

const PAUSE_STATUS_CODES = { 204: true, 404: 'no such container', 409: 'conflict', 500: 'server error' };

/** A 404 (no such container) or 409 (not running, or not paused) of pause and unpause. */
function isGoneOrNotRunning(error: unknown): boolean {
  return error instanceof DockerApiError && (error.statusCode === 404 || error.statusCode === 409);
}

export async function killContainer(client: DockerClient, id: string, signal = 'SIGKILL'): Promise<void> {
  if (!/^[A-Za-z0-9+]{1,20}$/.test(signal)) throw new Error(`invalid signal ${JSON.stringify(signal)}`);
  await tolerateNotRunning(
    postContainerAction(client, id, 'kill', {
      query: { signal },
      statusCodes: { 204: true, 304: true, 404: 'no such container', 409: 'conflict', 500: 'server error' },
    }),
  );
}

export async function restartContainer(
  client: DockerClient,
  id: string,
  timeoutSeconds = DEFAULT_STOP_SECONDS,
): Promise<void> {
  await postContainerAction(client, id, 'restart', {
    waitSeconds: checkedSeconds(timeoutSeconds),
    statusCodes: { 204: true, 404: 'no such container', 500: 'server error' },
  });
}

/**
 * POST /containers/{id}/{action}, with `query` as its query string, as one call named
 * "{action} container {id}" under the per-call deadline. `waitSeconds` (stop, restart) is how
 * long the daemon waits for the container to stop before it kills it: sent as `t`, and added to
 * the deadline.
 */
function postContainerAction(
  client: DockerClient,
  id: string,
  action: 'stop' | 'pause' | 'unpause' | 'kill' | 'restart',
  request: { query?: Record<string, string>; waitSeconds?: number; statusCodes: DialOptions['statusCodes'] },
): Promise<unknown> {
  const what = `${action} container ${shortId(id)}`;
  const { waitSeconds, statusCodes } = request;
  const query = waitSeconds === undefined ? request.query : { t: waitSeconds };
  const timeoutMs = waitSeconds === undefined ? undefined : client.callTimeoutMs + waitSeconds * 1000;
  return client.call(
    what,
    (abortSignal) =>
      client.dial({
        path: `${containerUrl(id, what)}/${action}${query === undefined ? '' : '?'}`,
        method: 'POST',
        ...(query === undefined ? {} : { options: query }),
        abortSignal,
        statusCodes,
      }),
    timeoutMs,
  );
}

/** Force-removes a container and its anonymous volumes; one that is already gone is fine. */
export async function removeContainer(client: DockerClient, id: string): Promise<void> {
  try {
    await client.idempotentCall(`remove container ${shortId(id)}`, (signal) =>
      deleteContainer(client, id, signal),
    );
  } catch (error) {
    if (!isAlreadyGone(error)) throw error;
  }
}

export function deleteContainer(client: DockerClient, id: string, signal: AbortSignal): Promise<unknown> {
  return client.dial({
    path: `${containerUrl(id, `remove container ${shortId(id)}`)}?`,
    method: 'DELETE',
    options: { force: true, v: true },
    abortSignal: signal,
    statusCodes: {
      204: true,
      400: 'bad parameter',
      404: 'no such container',
      409: 'conflict',
      500: 'server error',
    },
  });
}

export async function findContainer(
  client: DockerClient,
  nameOrId: string,
): Promise<ContainerState | undefined> {
  const wanted = nameOrId.replace(/^\//, '');
  if (!RESOURCE_NAME.test(wanted)) return undefined;
  const raw = await client.inspectOrUndefined(`inspect container ${wanted}`, `/containers/${wanted}/json`);
  if (raw === undefined) return undefined;
  const state = toContainerState(asRawContainer(raw));
  // The daemon also resolves a bare id prefix ("db" could be the first letters of an id).
  return state.name === wanted || isIdOf(state.id, wanted) ? state : undefined;
}

export async function listContainers(
  client: DockerClient,
  labels: Record<string, string>,
): Promise<ContainerSummary[]> {
  const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
  const listed = await client.idempotentCall('list containers', (signal) =>
    client.docker.listContainers({ all: true, filters, abortSignal: signal }),
  );
  return (listed as unknown as RawContainerSummary[]).map(toContainerSummary);
}

export async function processes(client: DockerClient, id: string): Promise<string[]> {
  const what = `list the processes of container ${shortId(id)}`;
  const top = await client.idempotentCall(what, (signal) =>
    client.dial({
      path: `${containerUrl(id, what)}/top`,
      method: 'GET',
      abortSignal: signal,
      statusCodes: { 200: true, 404: 'no such container', 409: 'conflict', 500: 'server error' },
    }),
  );
  return processCommands(top);
}

export async function waitForExit(
  client: DockerClient,
  id: string,
  timeoutMs: number,
): Promise<number | null> {
  const what = `wait for container ${shortId(id)}`;
  const url = `${containerUrl(id, what)}/wait?`;
  const { controller, done } = client.deadline(Math.max(0, timeoutMs));
  try {
    const result = await client.answeringWhile(
      client.dial({
        path: url,
        method: 'POST',
        options: { condition: 'not-running' },
        abortSignal: controller.signal,
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
      }),
      `container ${shortId(id)}`,
    );
    const code = isRecord(result) ? result.StatusCode : undefined;
    if (typeof code !== 'number') {
      throw new InfraError(`Docker engine answered "${what}" with something unexpected`);
    }
    return code;
  } catch (error) {
    if (error instanceof InfraError || !controller.signal.aborted) throw client.translate(error, what);
  } finally {
    // Ends the wait request too when the liveness ping gave up on the daemon.
    controller.abort();
    done();
  }
  // At the timeout: a daemon that no longer answers must not pass for a container still running.
  const state = await inspectContainer(client, id);
  return state.running ? null : state.exitCode;
}

export async function killSignalsSince(client: DockerClient, id: string, sinceMs: number): Promise<string[]> {
  const what = `kill events of container ${shortId(id)}`;
  const events = await client.idempotentCall(what, async (signal) => {
    const stream = asReadable(
      await client.dial({
        path: '/events?',
        method: 'GET',
        options: {
          since: String(Math.floor(sinceMs / 1000)),
          until: String(Math.ceil(Date.now() / 1000) + 1),
          filters: JSON.stringify({ type: ['container'], container: [id], event: ['kill'] }),
        },
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      }),
    );
    const text = new CappedBytes(64 * 1024);
    await followStream(stream, signal, { onData: (chunk) => text.push(chunk) });
    return text.text();
  });
  const signals: string[] = [];
  for (const line of events.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const event: unknown = JSON.parse(line);
      const actor = isRecord(event) && isRecord(event.Actor) ? event.Actor : undefined;
      const attributes = actor !== undefined && isRecord(actor.Attributes) ? actor.Attributes : {};
      if (typeof attributes.signal === 'string') signals.push(attributes.signal);
    } catch {
      // A line cut by the cap.
    }
  }
  return signals;
}

/** Stop and kill on a container that is not running: what was asked for is already true. */
async function tolerateNotRunning(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (error instanceof DockerApiError && (error.statusCode === 304 || error.statusCode === 409)) return;
    throw error;
  }
}

export async function containerLogs(
  client: DockerClient,
  containerId: string,
  options: LogsOptions,
): Promise<LogsResult> {
  const stdout = new CappedBytes(options.maxBytes);
  const stderr = new CappedBytes(options.maxBytes);
  const what = `logs of container ${shortId(containerId)}`;
  const { controller, done } = client.deadline(client.callTimeoutMs);
  try {
    const stream = asReadable(
      await client.dial({
        path: `/containers/${encodeURIComponent(containerId)}/logs?`,
        method: 'GET',
        options: {
          stdout: true,
          stderr: true,
          follow: false,
          ...(options.tailLines === undefined ? {} : { tail: String(options.tailLines) }),
        },
        isStream: true,
        abortSignal: controller.signal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      }),
    );
    client.docker.modem.demuxStream(stream, stdout.writable(), stderr.writable());
    // Nothing more is kept once both caps are reached, so stop downloading.
    const outcome = await followStream(stream, controller.signal, {
      stopWhen: () => stdout.full && stderr.full,
    });
    if (outcome === 'timeout') throw client.timeoutError(what, client.callTimeoutMs);
  } catch (error) {
    if (controller.signal.aborted) throw client.timeoutError(what, client.callTimeoutMs);
    throw client.translate(error, what);
  } finally {
    done();
  }
  return { stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated };
}

function healthConfig(request: HealthcheckRequest): Docker.HealthConfig {
  const nanoseconds = (ms: number | undefined): number | undefined =>
    ms === undefined ? undefined : Math.round(ms * 1_000_000);
  return {
    Test: request.test,
    Interval: nanoseconds(request.intervalMs),
    Timeout: nanoseconds(request.timeoutMs),
    Retries: request.retries,
    StartPeriod: nanoseconds(request.startPeriodMs),
  };
}
