// engine/wire: the Engine API's formats (JSON, tar, progress streams) read and written; no daemon calls.
//
// The daemon's JSON (with the nulls it really sends: the dockerode typings claim arrays and
// objects) and its mapping onto the Engine's model. No I/O here: docker-engine.ts does the calls.

import { RESTART_LABEL } from '../../naming/labels';
import { InfraError } from '../../shared/errors';
import { isRecord } from '../../shared/records';
import type {
  ContainerState,
  ContainerSummary,
  ImageDetails,
  NetworkDetails,
  VolumeDetails,
} from '../engine';

export interface RestartPolicyValue {
  Name: string;
  MaximumRetryCount: number;
}

/**
 * The policy RESTART_LABEL records, when it applies: the engine's policy is "no" and the
 * container has a bind mount, as the proxy made it. Otherwise (no label, a label inherited from
 * an image's LABEL onto a container the proxy did not make virtual) undefined: the engine's
 * policy is the truth.
 */
export function requestedRestartPolicy(
  labels: Record<string, unknown> | null | undefined,
  enginePolicy: string | null | undefined,
  hasBindMount: boolean,
): RestartPolicyValue | undefined {
  const label = labels?.[RESTART_LABEL];
  if (typeof label !== 'string' || !hasBindMount || (enginePolicy || 'no') !== 'no') return undefined;
  try {
    const parsed: unknown = JSON.parse(label);
    if (!isRecord(parsed) || typeof parsed.Name !== 'string' || parsed.Name === '') return undefined;
    const count = typeof parsed.MaximumRetryCount === 'number' ? parsed.MaximumRetryCount : 0;
    return { Name: parsed.Name, MaximumRetryCount: count };
  } catch {
    return undefined;
  }
}

type PortMap = Record<string, Array<{ HostIp?: string | null; HostPort?: string | null }> | null>;

export interface RawContainer {
  Id: string;
  Name: string;
  /** The id of the image the container was created from (Config.Image is the reference given). */
  Image?: string | null;
  RestartCount?: number | null;
  State: {
    Status: string;
    Running: boolean;
    Restarting?: boolean;
    ExitCode: number;
    OOMKilled: boolean;
    StartedAt?: string | null;
    FinishedAt?: string | null;
    Health?: { Status: string } | null;
  };
  Config: {
    Image: string;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    User?: string | null;
    Hostname?: string | null;
  };
  HostConfig?: {
    PortBindings?: PortMap | null;
    RestartPolicy?: { Name?: string | null; MaximumRetryCount?: number | null } | null;
    Memory?: number | null;
    PidsLimit?: number | null;
    PidMode?: string | null;
  } | null;
  Mounts?: Array<{
    Type?: string | null;
    Name?: string | null;
    Source?: string | null;
    Destination?: string | null;
    RW?: boolean | null;
  }> | null;
  NetworkSettings: {
    Ports?: PortMap | null;
    Networks?: Record<string, { IPAddress?: string | null; Aliases?: string[] | null } | null> | null;
  };
}

export interface RawImage {
  Id: string;
  Created?: string | null;
  RepoTags?: string[] | null;
  Size: number;
  Config?: {
    User?: string | null;
    WorkingDir?: string | null;
    Cmd?: string[] | null;
    Entrypoint?: string | string[] | null;
    Env?: string[] | null;
    ExposedPorts?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
    Healthcheck?: { Test?: string[] | null } | null;
  } | null;
  RootFS?: { Layers?: string[] | null } | null;
}

export interface RawNetwork {
  Id: string;
  Name: string;
  Driver?: string | null;
  Internal?: boolean | null;
  Labels?: Record<string, string> | null;
  Containers?: Record<string, { Name?: string | null } | null> | null;
}

export interface RawVolume {
  Name: string;
  Driver?: string | null;
  Labels?: Record<string, string> | null;
  Mountpoint?: string | null;
}

export interface RawContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string | null;
  State?: string | null;
  Labels?: Record<string, string> | null;
}

export function asRawImage(value: unknown): RawImage {
  if (isRecord(value) && typeof value.Id === 'string') return value as unknown as RawImage;
  throw new InfraError('Docker engine answered an image inspection with something unexpected');
}

export function asRawContainer(value: unknown): RawContainer {
  if (isRecord(value) && typeof value.Id === 'string' && isRecord(value.State) && isRecord(value.Config))
    return value as unknown as RawContainer;
  throw new InfraError('Docker engine answered a container inspection with something unexpected');
}

export function asRawNetwork(value: unknown): RawNetwork {
  if (isRecord(value) && typeof value.Id === 'string' && typeof value.Name === 'string')
    return value as unknown as RawNetwork;
  throw new InfraError('Docker engine answered a network inspection with something unexpected');
}

export function asRawVolume(value: unknown): RawVolume {
  if (isRecord(value) && typeof value.Name === 'string') return value as unknown as RawVolume;
  throw new InfraError('Docker engine answered a volume inspection with something unexpected');
}

/** What the daemon reports for "never". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function toContainerState(raw: RawContainer): ContainerState {
  const state = raw.State;
  const config = raw.Config;
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: config.Image,
    ...(typeof raw.Image === 'string' && raw.Image !== '' ? { imageId: raw.Image } : {}),
    status: state.Status,
    // A container the daemon is restarting reports Running, but an exec in it is refused:
    // for the grader (and the student) it is not running.
    running: state.Running && state.Restarting !== true,
    exitCode: state.ExitCode,
    oomKilled: state.OOMKilled,
    health: state.Health?.Status ?? undefined,
    startedAt: realTime(state.StartedAt),
    finishedAt: realTime(state.FinishedAt),
    publishedPorts: publishedPorts(raw.NetworkSettings.Ports),
    portBindings: portBindings(raw.HostConfig?.PortBindings, raw.NetworkSettings.Ports),
    env: config.Env ?? [],
    labels: config.Labels ?? {},
    user: config.User ?? '',
    restartPolicy:
      requestedRestartPolicy(
        config.Labels,
        raw.HostConfig?.RestartPolicy?.Name,
        (raw.Mounts ?? []).some((mount) => mount.Type === 'bind'),
      )?.Name ??
      (raw.HostConfig?.RestartPolicy?.Name || 'no'),
    daemonRestartPolicy: raw.HostConfig?.RestartPolicy?.Name || 'no',
    // 0 (and a null or negative pids limit) is the engine's "unlimited".
    memory: raw.HostConfig?.Memory ?? 0,
    pidsLimit: Math.max(0, raw.HostConfig?.PidsLimit ?? 0),
    pidMode: raw.HostConfig?.PidMode ?? '',
    restartCount: raw.RestartCount ?? 0,
    mounts: (raw.Mounts ?? []).map((mount) => ({
      type: mount.Type ?? '',
      source: mount.Source ?? '',
      destination: mount.Destination ?? '',
      ...(mount.Name ? { name: mount.Name } : {}),
      readOnly: mount.RW === false,
    })),
    networks: Object.fromEntries(
      Object.entries(raw.NetworkSettings.Networks ?? {}).map(([name, network]) => [
        name,
        { ipAddress: network?.IPAddress ?? '', aliases: network?.Aliases ?? [] },
      ]),
    ),
    hostname: config.Hostname ?? '',
  };
}

function realTime(value: string | null | undefined): string | undefined {
  return value && value !== ZERO_TIME ? value : undefined;
}

function publishedPorts(ports: PortMap | null | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [containerPort, bindings] of Object.entries(ports ?? {})) {
    const binding = bindings?.find((candidate) => candidate.HostIp === '127.0.0.1') ?? bindings?.[0];
    const hostPort = hostPortOf(binding?.HostPort);
    if (hostPort !== undefined) result[containerPort] = hostPort;
  }
  return result;
}

/**
 * Host ports bound for each container port, on any host address: what is really bound
 * (NetworkSettings.Ports, a running container) together with what was asked for with a fixed
 * port (HostConfig.PortBindings, also known before the start). Ephemeral requests ("") only count
 * once the daemon has chosen the port.
 */
function portBindings(
  requested: PortMap | null | undefined,
  actual: PortMap | null | undefined,
): Record<string, number[]> {
  const ports = new Map<string, Set<number>>();
  for (const map of [actual, requested]) {
    for (const [containerPort, bindings] of Object.entries(map ?? {})) {
      for (const binding of bindings ?? []) {
        const hostPort = hostPortOf(binding.HostPort);
        if (hostPort === undefined) continue;
        const set = ports.get(containerPort) ?? new Set<number>();
        set.add(hostPort);
        ports.set(containerPort, set);
      }
    }
  }
  return Object.fromEntries(
    [...ports.entries()].map(([containerPort, set]) => [containerPort, [...set].sort((a, b) => a - b)]),
  );
}

function hostPortOf(value: string | null | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const port = Number.parseInt(value, 10);
  return port > 0 && port <= 65535 ? port : undefined;
}

export function toImageDetails(raw: RawImage): ImageDetails {
  const config = raw.Config ?? {};
  const layers = raw.RootFS?.Layers ?? [];
  return {
    id: raw.Id,
    tags: realTags(raw),
    user: config.User ?? '',
    workdir: config.WorkingDir ?? '',
    cmd: config.Cmd ?? [],
    entrypoint: typeof config.Entrypoint === 'string' ? [config.Entrypoint] : (config.Entrypoint ?? []),
    env: config.Env ?? [],
    exposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
    labels: config.Labels ?? {},
    layerDigests: [...layers],
    layers: layers.length,
    sizeBytes: raw.Size,
    healthcheck: config.Healthcheck?.Test ?? [],
  };
}

/** Older daemons list an untagged image as "<none>:<none>". */
export function realTags(raw: { RepoTags?: string[] | null }): string[] {
  return (raw.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
}

export function toNetworkDetails(raw: RawNetwork): NetworkDetails {
  return {
    id: raw.Id,
    name: raw.Name,
    driver: raw.Driver ?? '',
    internal: raw.Internal === true,
    labels: raw.Labels ?? {},
    containers: Object.values(raw.Containers ?? {})
      .map((endpoint) => endpoint?.Name?.replace(/^\//, '') ?? '')
      .filter((name) => name !== '')
      .sort(),
  };
}

export function toVolumeDetails(raw: RawVolume): VolumeDetails {
  return {
    name: raw.Name,
    driver: raw.Driver ?? '',
    labels: raw.Labels ?? {},
    mountpoint: raw.Mountpoint ?? '',
  };
}

export function toContainerSummary(raw: RawContainerSummary): ContainerSummary {
  return {
    id: raw.Id,
    name: raw.Names?.[0]?.replace(/^\//, '') ?? '',
    image: raw.Image ?? '',
    state: raw.State ?? '',
    labels: raw.Labels ?? {},
  };
}

/** The CMD column of /containers/{id}/top (COMMAND on some ps variants; else the last column). */
export function processCommands(value: unknown): string[] {
  // A container whose last process is just exiting has none left: the engine (Go) answers its
  // empty list as null.
  if (isRecord(value) && value.Processes === null) return [];
  if (!isRecord(value) || !Array.isArray(value.Titles) || !Array.isArray(value.Processes)) {
    throw new InfraError('Docker engine answered a process listing with something unexpected');
  }
  const titles = value.Titles as unknown[];
  let column = titles.findIndex((title) => title === 'CMD' || title === 'COMMAND');
  if (column < 0) column = titles.length - 1;
  const rows = (value.Processes as unknown[]).filter((row): row is unknown[] => Array.isArray(row));
  return inTreeOrder(rows, titles.indexOf('PID'), titles.indexOf('PPID'))
    .map((row) => row[column])
    .filter((command): command is string => typeof command === 'string');
}

/**
 * Parents before their children (siblings as ps lists them). ps lists by PID, and PIDs wrap
 * around on a busy host, so nginx's worker can be listed before its master: an exercise that
 * expects "master, then worker" must not depend on where the host's PID counter stands.
 */
function inTreeOrder(rows: unknown[][], pidColumn: number, ppidColumn: number): unknown[][] {
  if (pidColumn < 0 || ppidColumn < 0) return rows;
  const pids = new Set(rows.map((row) => String(row[pidColumn])));
  const children = new Map<string, unknown[][]>();
  const roots: unknown[][] = [];
  for (const row of rows) {
    const parent = String(row[ppidColumn]);
    if (!pids.has(parent) || parent === String(row[pidColumn])) roots.push(row);
    else children.set(parent, [...(children.get(parent) ?? []), row]);
  }
  const ordered: unknown[][] = [];
  const visit = (row: unknown[]): void => {
    ordered.push(row);
    for (const child of children.get(String(row[pidColumn])) ?? []) visit(child);
  };
  for (const root of roots) visit(root);
  // A cycle (impossible in a real listing) leaves rows unvisited: keep them rather than lose them.
  return ordered.length === rows.length ? ordered : rows;
}
