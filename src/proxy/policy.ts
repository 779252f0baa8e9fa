// What a student's docker commands may ask of the engine, and the hardened profile their
// containers get (docs/security.md, boundary 2). Each function takes the JSON body of one request and
// returns the body to forward, or throws a Refusal whose message the docker CLI prints. Lookups
// of the engine and of the host's files are injected, so that these rules are tested without I/O.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type RestartPolicyValue, requestedRestartPolicy } from '../engine/docker-mapping';
import { HARDENED_LIMITS, KEPT_CAPABILITIES } from '../engine/engine';
import {
  LABEL_PREFIX,
  RESTART_LABEL,
  STUDENT_NAME_LABEL,
  STUDENT_PORTS_LABEL,
  studentNameLabel,
  withOwnLabelsSet,
} from '../engine/labels';
import { currentStudentName } from '../steps/names';
import { buildQueryRefusal } from './build-rules';
import { canonicalBody } from './fields';
import type { VirtualNames } from './names';
import { isRecord, type Json, Refusal } from './refusal';

export { isRecord, type Json, Refusal } from './refusal';

export interface SandboxPolicy {
  extraCapabilities: string[];
  publicPorts: boolean;
}

/**
 * The name a student knows a container of the run by (STUDENT_NAME_LABEL, followed through
 * `docker rename`). Undefined for a container the student did not name.
 */
export function studentNameOf(
  container: { name: string; labels: Record<string, string> },
  names: VirtualNames,
): string | undefined {
  const given = studentNameLabel(container.labels);
  return given === undefined ? undefined : currentStudentName(container.name, given, names.scope);
}

/** Namespaced sysctls that change nothing outside the container's own network namespace. */
const SAFE_SYSCTLS = [
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_syncookies',
  'net.core.somaxconn',
];
/** Limits that would let a container take priority over the host (real-time, nice, locked memory). */
const REFUSED_ULIMITS = ['rtprio', 'rttime', 'nice', 'memlock'];
/** Security options that only make the profile stricter. */
const HARMLESS_SECURITY_OPTIONS =
  /^(no-new-privileges(?:[:=]true)?|apparmor[:=]docker-default|seccomp[:=]builtin)$/;
const BUILTIN_NETWORKS = new Set(['default', 'bridge', 'none']);
/** The CFS period of a build's CPU quota (the kernel's default). */
const BUILD_CPU_PERIOD = 100_000;
/** The engine's default CPU weight. */
const DEFAULT_CPU_SHARES = 1024;
const HOST_NETWORK_REFUSED = "the host's network namespace is not allowed (--network host)";
const HOST_NAMESPACES: Array<[field: string, flag: string]> = [
  ['NetworkMode', '--network host'],
  ['PidMode', '--pid host'],
  ['IpcMode', '--ipc host'],
  ['UTSMode', '--uts host'],
  ['UsernsMode', '--userns host'],
  ['CgroupnsMode', '--cgroupns host'],
];

/**
 * "No such ..." for what is not the run's: the student's view of the engine holds only the run's
 * objects (so `docker rm -f web` behaves as on an empty engine). Someone else's object is noted.
 */
export function notFound(
  message: string,
  kind: string,
  reference: string,
  resolved: { kind: string },
  status = 404,
): Refusal {
  return new Refusal(
    message,
    status,
    resolved.kind === 'foreign'
      ? `${kind} ${reference} is not one this grading created, so it is left alone`
      : undefined,
    true,
  );
}

/** The answer an object reference gets: the run's own (with what to call it on the engine), or not. */
export type Resolved =
  | { kind: 'own'; id: string; name: string; labels: Record<string, string> }
  | { kind: 'builtin'; name: string }
  | { kind: 'foreign' }
  | { kind: 'missing' };

export type ResolvedImage =
  | { kind: 'own'; reference: string }
  | { kind: 'base'; reference: string }
  | { kind: 'foreign' }
  | { kind: 'missing' };

export interface PolicyLookups {
  /** The real path of a host path (of its nearest existing ancestor when missing) and whether it is a socket. */
  hostPath(hostPath: string): Promise<{ real: string; socket: boolean }>;
  container(reference: string): Promise<Resolved>;
  network(reference: string): Promise<Resolved>;
  volume(reference: string): Promise<Resolved>;
  image(reference: string): Promise<ResolvedImage>;
  /** Creates a named volume with the run's labels (what the daemon would create unlabelled). */
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** The ports an image exposes (like "80/tcp") and its VOLUME paths; empty when it does not exist. */
  imageConfig(image: string): Promise<{ exposedPorts: string[]; volumes: string[] }>;
}

export interface PolicyContext {
  names: VirtualNames;
  /** Labels every created object carries (run id and scope). */
  runLabels: Record<string, string>;
  /** Real path of the submission folder. */
  submissionDir: string;
  policy: SandboxPolicy;
  lookups: PolicyLookups;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The student's labels without ours (a student must not forge a name, ports or run label), then ours. */
export function stampLabels(
  labels: unknown,
  runLabels: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const result: Record<string, string> = {};
  if (isRecord(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      if (!key.startsWith(`${LABEL_PREFIX}.`) && typeof value === 'string') result[key] = value;
    }
  }
  return { ...result, ...extra, ...runLabels };
}

function normalisedCapability(capability: string): string {
  return capability.toUpperCase().replace(/^CAP_/, '');
}

/** Capabilities a student's container may have: the grader's own set and what the exercise allows. */
export function allowedCapabilities(policy: SandboxPolicy): string[] {
  return [...new Set([...KEPT_CAPABILITIES, ...policy.extraCapabilities.map(normalisedCapability)])];
}

function checkSecurityOptions(options: string[]): string[] {
  for (const option of options) {
    if (!HARMLESS_SECURITY_OPTIONS.test(option)) {
      const shown = option.length > 60 ? `${option.slice(0, 60)}...` : option;
      throw new Refusal(
        `security option "${shown}" is not allowed (--security-opt): containers keep the default seccomp and AppArmor profiles and no-new-privileges`,
      );
    }
  }
  return [
    ...new Set(['no-new-privileges', ...options.filter((option) => !option.startsWith('no-new-privileges'))]),
  ];
}

function cappedLimit(value: unknown, cap: number): number {
  return typeof value === 'number' && value > 0 ? Math.min(value, cap) : cap;
}

/** Resource limits (used by create and update): never above the grader's own. */
function hardenResources(hostConfig: Json): void {
  for (const field of ['Devices', 'DeviceRequests', 'DeviceCgroupRules']) {
    const value = hostConfig[field];
    if (Array.isArray(value) && value.length > 0) {
      throw new Refusal('host devices are not allowed (--device, --gpus, --device-cgroup-rule)');
    }
  }
  if (typeof hostConfig.CgroupParent === 'string' && hostConfig.CgroupParent !== '') {
    throw new Refusal('a cgroup parent is not allowed (--cgroup-parent)');
  }
  hostConfig.PidsLimit = cappedLimit(hostConfig.PidsLimit, HARDENED_LIMITS.pids);
  hostConfig.Memory = cappedLimit(hostConfig.Memory, HARDENED_LIMITS.memory);
  hostConfig.MemorySwap = hostConfig.Memory;
  hostConfig.NanoCpus = cappedLimit(hostConfig.NanoCpus, HARDENED_LIMITS.nanoCpus);
  // CPU shares by period and quota would bypass NanoCpus (the daemon refuses both at once).
  delete hostConfig.CpuQuota;
  delete hostConfig.CpuPeriod;
  hostConfig.OomKillDisable = false;
}

/** The student's ulimits without those that raise priority, with the grader's in place of their own. */
function hardenedUlimits(requested: unknown[]): Json[] {
  const ulimits = requested.filter(isRecord);
  const raised = ulimits
    .map((limit) => String(limit.Name))
    .filter((limitName) => REFUSED_ULIMITS.includes(limitName));
  if (raised.length > 0) throw new Refusal(`--ulimit ${raised.join(', ')} is not allowed`);
  const ours = HARDENED_LIMITS.ulimits.map((limit) => limit.Name as string);
  return [
    ...ulimits.filter((limit) => !ours.includes(String(limit.Name))),
    ...HARDENED_LIMITS.ulimits.map((limit) => ({ ...limit })),
  ];
}

function parseUlimits(text: string | null): unknown[] {
  if (text === null || text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal('invalid ulimits of the build', 400);
  }
  // The Go client (compose) marshals no ulimits as `null`, which the engine reads as none.
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) throw new Refusal('invalid ulimits of the build', 400);
  return parsed.map((limit) => canonicalBody(limit));
}

function checkHostPathInside(submissionDir: string, real: string): boolean {
  const relative = path.relative(submissionDir, real);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The real path to mount: checked, and passed on resolved, so that a symlink swapped in after the
 * check cannot redirect the mount (only a race on a component inside the submission remains).
 */
async function checkBindSource(source: string, context: PolicyContext): Promise<string> {
  if (!path.isAbsolute(source)) {
    throw new Refusal(`bind mount of "${source}": the source must be an absolute path inside the submission`);
  }
  const { real, socket } = await context.lookups.hostPath(source);
  if (socket || /docker\.sock$/.test(real) || /docker\.sock$/.test(source)) {
    throw new Refusal(`bind mount of "${source}": the Docker socket may not be mounted into a container`);
  }
  if (!checkHostPathInside(context.submissionDir, real)) {
    throw new Refusal(
      `bind mount of "${source}" is not allowed: only folders inside the submission (${context.submissionDir}) may be mounted`,
    );
  }
  return real;
}

/**
 * At start and restart: every bind source of a created container, resolved again. The engine
 * mounts a source by its path when the container starts, so a folder of the submission that was
 * replaced by a symlink (to `/`, to the Docker socket) since create would be followed.
 */
export async function recheckBindSources(container: Json, context: PolicyContext): Promise<void> {
  const hostConfig = isRecord(container.HostConfig) ? container.HostConfig : {};
  const sources = new Set<string>();
  for (const bind of strings(hostConfig.Binds)) {
    const source = bind.split(':')[0] ?? '';
    if (source.startsWith('/')) sources.add(source);
  }
  const mounts = [
    ...(Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts : []),
    ...(Array.isArray(container.Mounts) ? container.Mounts : []),
  ];
  for (const mount of mounts.filter(isRecord)) {
    if (mount.Type === 'bind' && typeof mount.Source === 'string') sources.add(mount.Source);
  }
  for (const source of sources) {
    try {
      await checkBindSource(source, context);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      throw new Refusal(
        `${error.message} (checked again at start: a folder of the submission was replaced by a symlink after the container was created)`,
        error.status,
      );
    }
  }
}

/** Resolves a volume by the student's name, creating it labelled if it does not exist yet. */
async function volumeForMount(name: string, context: PolicyContext): Promise<string> {
  const resolved = await context.lookups.volume(name);
  if (resolved.kind === 'own') return resolved.name;
  if (resolved.kind === 'missing') {
    const real = context.names.real(name);
    await context.lookups.createVolume(
      real,
      stampLabels({}, context.runLabels, { [STUDENT_NAME_LABEL]: name }),
    );
    return real;
  }
  throw notFound(`get ${name}: no such volume`, 'volume', name, resolved);
}

async function ownContainer(reference: string, context: PolicyContext): Promise<string> {
  const resolved = await context.lookups.container(reference);
  if (resolved.kind === 'own') return resolved.id;
  // Named inside a create body: the engine answers a missing one with 400 (see Refusal.missing).
  throw notFound(`No such container: ${reference}`, 'container', reference, resolved, 400);
}

/**
 * The engine's name of a network the student names; builtin ones stay as they are. A missing one
 * named in a container create is a 400: the docker CLI takes a 404 from a create for a missing
 * image and tries to pull it.
 */
export async function ownNetwork(
  reference: string,
  context: PolicyContext,
  missingStatus = 404,
): Promise<Extract<Resolved, { kind: 'own' | 'builtin' }>> {
  if (reference === 'host') throw new Refusal(HOST_NETWORK_REFUSED);
  const resolved = await context.lookups.network(reference);
  // The engine's host network named by its id or an id prefix is the host network all the same.
  if (resolved.kind === 'builtin' && resolved.name === 'host')
    throw new Refusal(`${HOST_NETWORK_REFUSED}: ${reference} is the host network`);
  if (resolved.kind === 'own' || resolved.kind === 'builtin') return resolved;
  throw notFound(`network ${reference} not found`, 'network', reference, resolved, missingStatus);
}

async function namespaceMode(value: string, context: PolicyContext): Promise<string> {
  if (value.startsWith('container:')) {
    return `container:${await ownContainer(value.slice('container:'.length), context)}`;
  }
  return value;
}

async function checkBinds(hostConfig: Json, context: PolicyContext): Promise<void> {
  if (hostConfig.Binds === undefined || hostConfig.Binds === null) return;
  const binds: string[] = [];
  for (const bind of strings(hostConfig.Binds)) {
    const [source = '', ...rest] = bind.split(':');
    if (source.startsWith('/')) {
      binds.push([await checkBindSource(source, context), ...rest].join(':'));
    } else {
      binds.push([await volumeForMount(source, context), ...rest].join(':'));
    }
  }
  hostConfig.Binds = binds;
}

async function checkMounts(hostConfig: Json, context: PolicyContext): Promise<void> {
  if (!Array.isArray(hostConfig.Mounts)) return;
  for (const mount of hostConfig.Mounts) {
    if (!isRecord(mount)) continue;
    const type = typeof mount.Type === 'string' ? mount.Type : 'volume';
    const source = typeof mount.Source === 'string' ? mount.Source : '';
    if (type === 'bind') {
      mount.Source = await checkBindSource(source, context);
    } else if (type === 'volume') {
      const options = isRecord(mount.VolumeOptions) ? mount.VolumeOptions : {};
      const driver = isRecord(options.DriverConfig) ? options.DriverConfig : {};
      const driverOptions = isRecord(driver.Options) ? driver.Options : {};
      checkVolumeDriver(typeof driver.Name === 'string' ? driver.Name : '', driverOptions);
      // Without a source the daemon makes an anonymous volume, unlabelled: a labelled one instead.
      mount.Source =
        source !== '' ? await volumeForMount(source, context) : await createAnonymousVolume(context);
    } else if (type !== 'tmpfs') {
      throw new Refusal(`mounts of type ${type} are not allowed`);
    }
  }
}

function checkVolumeDriver(driver: string, options: Json): void {
  if (driver !== '' && driver !== 'local') {
    throw new Refusal(`volume driver ${driver} is not allowed: only the local driver`);
  }
  const mountOptions = typeof options.o === 'string' ? options.o : '';
  const device = typeof options.device === 'string' ? options.device : undefined;
  const type = typeof options.type === 'string' ? options.type : undefined;
  const tmpfs = type === 'tmpfs' && (device === undefined || device === 'tmpfs');
  if (
    /(^|,)r?bind($|,)/.test(mountOptions) ||
    (device !== undefined && !tmpfs) ||
    (type !== undefined && !tmpfs)
  ) {
    throw new Refusal(
      'volume options that mount a host path or device are not allowed (--opt type=none --opt o=bind --opt device=...): use a bind mount of a folder of the submission',
    );
  }
}

interface PortRequest {
  requested: Record<string, number[]>;
  bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
}

const ALL_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/**
 * Published ports: the address must be 127.0.0.1 (or none, or 0.0.0.0, which means the same), and the host port becomes an
 * ephemeral one, so that two gradings asking for 18080 do not collide. What the student asked
 * for is kept in STUDENT_PORTS_LABEL.
 */
export function rewritePortBindings(portBindings: unknown, policy: SandboxPolicy): PortRequest {
  const requested: Record<string, number[]> = {};
  const bindings: PortRequest['bindings'] = {};
  if (!isRecord(portBindings)) return { requested, bindings };
  for (const [containerPort, list] of Object.entries(portBindings)) {
    const rewritten: Array<{ HostIp: string; HostPort: string }> = [];
    for (const binding of Array.isArray(list) ? list : []) {
      const asked = isRecord(binding) && typeof binding.HostIp === 'string' ? binding.HostIp : '';
      // 0.0.0.0 and :: are what no address means to the engine: every address of the host.
      const hostIp = ALL_ADDRESSES.has(asked) ? '' : asked;
      const hostPort = isRecord(binding) && typeof binding.HostPort === 'string' ? binding.HostPort : '';
      if (hostIp !== '' && hostIp !== '127.0.0.1' && !policy.publicPorts) {
        throw new Refusal(
          `publishing port ${containerPort} on ${hostIp} is not allowed: publish on 127.0.0.1 or without an address (-p ${hostPort || 'HOST'}:${containerPort.split('/')[0]})`,
        );
      }
      const port = /^\d+/.exec(hostPort)?.[0];
      if (port !== undefined && Number(port) > 0) {
        const ports = requested[containerPort] ?? [];
        if (!ports.includes(Number(port))) ports.push(Number(port));
        requested[containerPort] = ports;
      }
      rewritten.push({ HostIp: policy.publicPorts && asked !== '' ? asked : '127.0.0.1', HostPort: '' });
    }
    bindings[containerPort] = rewritten;
  }
  return { requested, bindings };
}

/** The body of POST /containers/create as the engine gets it; `name` is the student's name, if any. */
export async function policeContainerCreate(
  body: Json,
  name: string | undefined,
  context: PolicyContext,
): Promise<Json> {
  const hostConfig: Json = isRecord(body.HostConfig) ? { ...body.HostConfig } : {};
  if (hostConfig.Privileged === true)
    throw new Refusal('privileged containers are not allowed (--privileged)');
  for (const [field, flag] of HOST_NAMESPACES) {
    if (hostConfig[field] === 'host') throw new Refusal(`the host's namespaces are not allowed (${flag})`);
  }
  hardenResources(hostConfig);
  for (const field of ['MaskedPaths', 'ReadonlyPaths']) {
    if (Array.isArray(hostConfig[field])) {
      throw new Refusal('unmasking system paths is not allowed (--security-opt systempaths=unconfined)');
    }
  }
  if (typeof hostConfig.Runtime === 'string' && !['', 'runc'].includes(hostConfig.Runtime)) {
    throw new Refusal(`runtime ${hostConfig.Runtime} is not allowed (--runtime)`);
  }
  if (typeof hostConfig.VolumeDriver === 'string' && !['', 'local'].includes(hostConfig.VolumeDriver)) {
    throw new Refusal(`volume driver ${hostConfig.VolumeDriver} is not allowed (--volume-driver)`);
  }

  const allowed = allowedCapabilities(context.policy);
  const added = strings(hostConfig.CapAdd).map(normalisedCapability);
  const extra = added.filter((capability) => !allowed.includes(capability));
  if (extra.length > 0) {
    throw new Refusal(
      `capabilities ${extra.join(', ')} are not allowed (--cap-add): this exercise allows ${allowed.join(', ')}`,
    );
  }
  const dropped = strings(hostConfig.CapDrop).map(normalisedCapability);
  const kept = dropped.includes('ALL') ? [] : allowed.filter((capability) => !dropped.includes(capability));
  hostConfig.CapAdd = [...new Set([...kept, ...added])];
  hostConfig.CapDrop = ['ALL'];
  hostConfig.SecurityOpt = checkSecurityOptions(strings(hostConfig.SecurityOpt));

  if (isRecord(hostConfig.Sysctls)) {
    const refused = Object.keys(hostConfig.Sysctls).filter((key) => !SAFE_SYSCTLS.includes(key));
    if (refused.length > 0) throw new Refusal(`sysctl ${refused.join(', ')} is not allowed (--sysctl)`);
  }
  hostConfig.Ulimits = hardenedUlimits(Array.isArray(hostConfig.Ulimits) ? hostConfig.Ulimits : []);
  if (typeof hostConfig.OomScoreAdj === 'number' && hostConfig.OomScoreAdj < 0) {
    throw new Refusal(
      'a negative --oom-score-adj is not allowed: the host would be killed before the container',
    );
  }
  hostConfig.LogConfig = structuredClone(HARDENED_LIMITS.logConfig);

  await checkBinds(hostConfig, context);
  await checkMounts(hostConfig, context);
  if (hostConfig.VolumesFrom !== undefined && hostConfig.VolumesFrom !== null) {
    const volumesFrom: string[] = [];
    for (const entry of strings(hostConfig.VolumesFrom)) {
      const [reference = '', mode] = entry.split(':');
      const id = await ownContainer(reference, context);
      volumesFrom.push(mode === undefined ? id : `${id}:${mode}`);
    }
    hostConfig.VolumesFrom = volumesFrom;
  }
  if (hostConfig.Links !== undefined && hostConfig.Links !== null) {
    const links: string[] = [];
    for (const link of strings(hostConfig.Links)) {
      const [reference = '', alias] = link.split(':');
      const resolved = await context.lookups.container(reference);
      if (resolved.kind !== 'own')
        throw new Refusal(`--link: no such container of this grading: ${reference}`, 404);
      links.push(`${resolved.name}:${alias ?? reference.replace(/^\//, '')}`);
    }
    hostConfig.Links = links;
  }
  for (const field of ['PidMode', 'IpcMode']) {
    if (typeof hostConfig[field] === 'string') {
      hostConfig[field] = await namespaceMode(hostConfig[field] as string, context);
    }
  }

  // Networks: the main one, and the endpoints (compose and `docker run --network` name them).
  let userNetwork = false;
  const networkMode = typeof hostConfig.NetworkMode === 'string' ? hostConfig.NetworkMode : '';
  if (networkMode === 'host' || networkMode.startsWith('container:')) {
    hostConfig.NetworkMode = await namespaceMode(networkMode, context);
  } else if (networkMode !== '' && !BUILTIN_NETWORKS.has(networkMode)) {
    const resolved = await ownNetwork(networkMode, context, 400);
    hostConfig.NetworkMode = resolved.name;
    userNetwork = resolved.kind === 'own';
  }
  const networking = isRecord(body.NetworkingConfig) ? { ...body.NetworkingConfig } : {};
  if (isRecord(networking.EndpointsConfig)) {
    const endpoints: Json = {};
    for (const [network, endpoint] of Object.entries(networking.EndpointsConfig)) {
      const resolved = BUILTIN_NETWORKS.has(network)
        ? { kind: 'builtin' as const, name: network }
        : await ownNetwork(network, context, 400);
      checkEndpointAddress(endpoint, network);
      const config: Json = isRecord(endpoint) ? { ...endpoint } : {};
      if (resolved.kind === 'own' && name !== undefined) {
        // DNS by the student's name between containers: the engine only knows the scoped one.
        config.Aliases = [...new Set([...strings(config.Aliases), name])];
      }
      endpoints[resolved.name] = config;
    }
    networking.EndpointsConfig = endpoints;
  }
  const mainNetwork = String(hostConfig.NetworkMode);
  const endpoints = isRecord(networking.EndpointsConfig) ? networking.EndpointsConfig : {};
  if (userNetwork && name !== undefined && endpoints[mainNetwork] === undefined) {
    networking.EndpointsConfig = { ...endpoints, [mainNetwork]: { Aliases: [name] } };
  }

  const image = typeof body.Image === 'string' ? await imageToUse(body.Image, context) : body.Image;
  const imageConfig =
    typeof image === 'string' ? await context.lookups.imageConfig(image) : { exposedPorts: [], volumes: [] };

  // Ports: 127.0.0.1 and ephemeral; -P publishes every exposed port the same way.
  const ports = rewritePortBindings(hostConfig.PortBindings, context.policy);
  if (hostConfig.PublishAllPorts === true) {
    const exposed = isRecord(body.ExposedPorts) ? Object.keys(body.ExposedPorts) : [];
    for (const port of [...exposed, ...imageConfig.exposedPorts]) {
      ports.bindings[port] ??= [{ HostIp: '127.0.0.1', HostPort: '' }];
    }
    hostConfig.PublishAllPorts = false;
  }
  hostConfig.PortBindings = ports.bindings;
  await labelAnonymousVolumes(body, hostConfig, imageConfig.volumes, context);

  const extraLabels: Record<string, string> = {};
  if (name !== undefined) extraLabels[STUDENT_NAME_LABEL] = name;
  if (Object.keys(ports.requested).length > 0)
    extraLabels[STUDENT_PORTS_LABEL] = JSON.stringify(ports.requested);
  const restart = checkedRestartPolicy(hostConfig.RestartPolicy);
  if (restart !== undefined && hostConfig.AutoRemove === true) {
    throw new Refusal("can't create 'AutoRemove' container with restart policy", 400);
  }
  if (hasBindMount(hostConfig)) {
    // Stamped even for "no": it replaces a label of ours that a LABEL of the image would pass on.
    extraLabels[RESTART_LABEL] = JSON.stringify(restart ?? { Name: 'no', MaximumRetryCount: 0 });
    hostConfig.RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };
  }
  return {
    ...body,
    Image: image,
    Labels: stampLabels(body.Labels, context.runLabels, withOwnLabelsSet(extraLabels)),
    HostConfig: hostConfig,
    ...(Object.keys(networking).length > 0 ? { NetworkingConfig: networking } : {}),
  };
}

/**
 * The daemon would make an unlabelled volume for each VOLUME path (of the image or `-v /path`)
 * that nothing is mounted on: cleanup by label could not find it, and compose, which hands such
 * volumes on by name when it recreates a container, could not name it. So the proxy creates it,
 * labelled, and mounts it there.
 */
async function labelAnonymousVolumes(
  body: Json,
  hostConfig: Json,
  imageVolumes: string[],
  context: PolicyContext,
): Promise<void> {
  const mounted = new Set<string>();
  for (const bind of strings(hostConfig.Binds)) mounted.add(path.posix.normalize(bind.split(':')[1] ?? ''));
  for (const mount of Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts.filter(isRecord) : []) {
    if (typeof mount.Target === 'string') mounted.add(path.posix.normalize(mount.Target));
  }
  if (isRecord(hostConfig.Tmpfs))
    for (const target of Object.keys(hostConfig.Tmpfs)) mounted.add(path.posix.normalize(target));
  // --volumes-from brings its own volumes to their paths: the daemon then skips those paths.
  if (strings(hostConfig.VolumesFrom).length > 0) return;
  const wanted = [...(isRecord(body.Volumes) ? Object.keys(body.Volumes) : []), ...imageVolumes];
  const added: Json[] = [];
  for (const target of new Set(wanted.map((volume) => path.posix.normalize(volume)))) {
    if (mounted.has(target)) continue;
    added.push({ Type: 'volume', Source: await createAnonymousVolume(context), Target: target });
  }
  if (added.length > 0)
    hostConfig.Mounts = [...(Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts : []), ...added];
}

/** A volume in place of one the daemon would create anonymous and unlabelled. */
async function createAnonymousVolume(context: PolicyContext): Promise<string> {
  const volumeName = context.names.real(`anon-${randomBytes(12).toString('hex')}`);
  await context.lookups.createVolume(volumeName, { ...context.runLabels });
  return volumeName;
}

/** The image reference to create a container from: the run's own tag, or a base image as it is. */
export async function imageToUse(reference: string, context: PolicyContext): Promise<string> {
  const resolved = await context.lookups.image(reference);
  if (resolved.kind === 'own' || resolved.kind === 'base') return resolved.reference;
  if (resolved.kind === 'missing') return reference;
  throw notFound(`No such image: ${reference}`, 'image', reference, resolved);
}

export function policeExecCreate(body: Json): Json {
  if (body.Privileged === true)
    throw new Refusal('privileged exec is not allowed (docker exec --privileged)');
  return body;
}

const RESTART_POLICIES = ['no', 'always', 'unless-stopped', 'on-failure'];

/**
 * A restart policy as the daemon would accept it (checked here, as the daemon never sees the
 * policy the proxy keeps in RESTART_LABEL); undefined for none ("no" or absent).
 */
function checkedRestartPolicy(value: unknown): RestartPolicyValue | undefined {
  if (!isRecord(value)) return undefined;
  const policyName = typeof value.Name === 'string' ? value.Name : '';
  const count = typeof value.MaximumRetryCount === 'number' ? value.MaximumRetryCount : 0;
  if (policyName === '' || policyName === 'no') return undefined;
  if (!RESTART_POLICIES.includes(policyName))
    throw new Refusal(`invalid restart policy '${policyName}'`, 400);
  if (count < 0) throw new Refusal('maximum retry count cannot be negative', 400);
  if (count > 0 && policyName !== 'on-failure') {
    throw new Refusal("maximum retry count can only be used with 'on-failure'", 400);
  }
  return { Name: policyName, MaximumRetryCount: count };
}

/**
 * Whether the daemon would mount a host path at each start: a bind (-v /path, --mount
 * type=bind), or --volumes-from, which brings another container's binds along. Named volumes
 * are safe: a student cannot swap what a volume name points to.
 */
function hasBindMount(hostConfig: Json): boolean {
  if (strings(hostConfig.Binds).some((bind) => bind.startsWith('/'))) return true;
  if (strings(hostConfig.VolumesFrom).length > 0) return true;
  const mounts = Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts.filter(isRecord) : [];
  return mounts.some((mount) => mount.Type === 'bind');
}

/** What docker update needs to know of the container to change its restart policy. */
export interface UpdatedContainer {
  who: string;
  /** Its inspection (GET /containers/{id}/json), when it has one. */
  details: Json | undefined;
}

/**
 * POST /containers/{id}/update: limits capped like at create. A bind-mounting container's
 * restart policy is the one its label recorded at create (labels cannot change), so changing it
 * is refused rather than handed to the daemon, which would restart it without the bind check.
 */
export function policeContainerUpdate(body: Json, container?: UpdatedContainer): Json {
  const updated = { ...body };
  hardenResources(updated);
  const wanted = checkedRestartPolicy(updated.RestartPolicy);
  const asked = isRecord(updated.RestartPolicy) && typeof updated.RestartPolicy.Name === 'string';
  const details = container?.details;
  if (!asked || details === undefined || !containerHasBindMount(details)) return updated;
  const current = virtualRestartPolicy(details) ?? { Name: 'no', MaximumRetryCount: 0 };
  const same =
    (wanted?.Name ?? 'no') === current.Name && (wanted?.MaximumRetryCount ?? 0) === current.MaximumRetryCount;
  if ((updated.RestartPolicy as Json).Name === '' || same) {
    // Unchanged: the daemon keeps "no" (docker update without --restart sends an empty name).
    updated.RestartPolicy = { Name: '', MaximumRetryCount: 0 };
    return updated;
  }
  throw new Refusal(
    `docker update --restart on container ${container?.who}: its restart policy cannot change during grading because it bind-mounts a host folder (the engine would restart it without checking the mount again); give --restart ${wanted?.Name ?? 'no'} when you create it`,
  );
}

/** Whether an inspected container mounts a host path (its own binds or inherited ones). */
function containerHasBindMount(container: Json): boolean {
  const mounts = Array.isArray(container.Mounts) ? container.Mounts.filter(isRecord) : [];
  if (mounts.some((mount) => mount.Type === 'bind')) return true;
  return isRecord(container.HostConfig) && hasBindMount(container.HostConfig);
}

/** The policy the proxy keeps in RESTART_LABEL for an inspected container, if any. */
export function virtualRestartPolicy(container: Json): RestartPolicyValue | undefined {
  const config = isRecord(container.Config) ? container.Config : {};
  const hostConfig = isRecord(container.HostConfig) ? container.HostConfig : {};
  const engine = isRecord(hostConfig.RestartPolicy) ? hostConfig.RestartPolicy.Name : undefined;
  return requestedRestartPolicy(
    isRecord(config.Labels) ? config.Labels : undefined,
    typeof engine === 'string' ? engine : undefined,
    containerHasBindMount(container),
  );
}

/** GET /containers/{id}/json as the student sees it: the restart policy asked for. */
export function showRequestedRestartPolicy(container: unknown): unknown {
  if (!isRecord(container) || !isRecord(container.HostConfig)) return container;
  const requested = virtualRestartPolicy(container);
  if (requested === undefined) return container;
  return { ...container, HostConfig: { ...container.HostConfig, RestartPolicy: requested } };
}

const REFUSED_BRIDGE_OPTIONS = /^com\.docker\.network\.bridge\.(name|host_binding_ipv4)$/;

function given(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}

/**
 * A network's addresses are the engine's choice: a chosen subnet (with a fixed container address)
 * adds a route on the host, and the runner's own traffic to that address reached the student's
 * container. An empty IPAM (what compose sends) is the default.
 */
function checkNetworkAddressing(ipam: unknown): void {
  if (ipam === undefined || ipam === null) return;
  if (!isRecord(ipam)) throw new Refusal('invalid IPAM configuration of the network', 400);
  const driver = ipam.Driver;
  if (given(driver) && driver !== 'default') {
    throw new Refusal(
      `IPAM driver ${String(driver)} is not allowed (--ipam-driver): the engine assigns the addresses`,
    );
  }
  if (given(ipam.Options)) {
    throw new Refusal('IPAM driver options are not allowed (--ipam-opt): the engine assigns the addresses');
  }
  const configs = Array.isArray(ipam.Config) ? ipam.Config : given(ipam.Config) ? [ipam.Config] : [];
  if (configs.some((config) => !isRecord(config) || Object.values(config).some(given))) {
    throw new Refusal(
      "IPAM options are not allowed (--subnet, --ip-range, --gateway, --aux-address): the engine picks the network's addresses",
    );
  }
}

/** A container's address on a network is the engine's choice too (--ip, --ip6, --link-local-ip). */
export function checkEndpointAddress(endpoint: unknown, network: string): void {
  if (!isRecord(endpoint)) return;
  const ipam = endpoint.IPAMConfig;
  const fixed =
    (isRecord(ipam) && Object.values(ipam).some(given)) ||
    (ipam !== undefined && ipam !== null && !isRecord(ipam)) ||
    given(endpoint.IPAddress) ||
    given(endpoint.GlobalIPv6Address);
  if (fixed) {
    throw new Refusal(
      `a fixed address on network ${network} is not allowed (--ip, --ip6, --link-local-ip, ipv4_address): the engine assigns container addresses`,
    );
  }
}

export function policeNetworkCreate(body: Json, context: PolicyContext): Json {
  const name = typeof body.Name === 'string' ? body.Name : '';
  if (!context.names.isName(name)) throw new Refusal(`invalid network name "${name}"`, 400);
  const driver = typeof body.Driver === 'string' && body.Driver !== '' ? body.Driver : 'bridge';
  if (driver !== 'bridge') throw new Refusal(`network driver ${driver} is not allowed: only bridge networks`);
  if (body.ConfigFrom !== undefined && body.ConfigFrom !== null) {
    throw new Refusal('networks made from another network configuration are not allowed (--config-from)');
  }
  if (body.Ingress === true || body.Scope === 'swarm') throw new Refusal('swarm networks are not allowed');
  checkNetworkAddressing(body.IPAM);
  const options = isRecord(body.Options) ? body.Options : {};
  const refused = Object.keys(options).filter((key) => REFUSED_BRIDGE_OPTIONS.test(key));
  if (refused.length > 0) throw new Refusal(`network options ${refused.join(', ')} are not allowed (-o)`);
  return {
    ...body,
    Name: context.names.real(name),
    Labels: stampLabels(body.Labels, context.runLabels, { [STUDENT_NAME_LABEL]: name }),
  };
}

export function policeVolumeCreate(body: Json, context: PolicyContext): Json {
  const name = typeof body.Name === 'string' ? body.Name : '';
  if (name !== '' && !context.names.isName(name)) throw new Refusal(`invalid volume name "${name}"`, 400);
  checkVolumeDriver(
    typeof body.Driver === 'string' ? body.Driver : '',
    isRecord(body.DriverOpts) ? body.DriverOpts : {},
  );
  return {
    ...body,
    ...(name !== '' ? { Name: context.names.real(name) } : {}),
    Labels: stampLabels(body.Labels, context.runLabels, name !== '' ? { [STUDENT_NAME_LABEL]: name } : {}),
  };
}

/** POST /networks/{id}/connect|disconnect: the container must be the run's; connect adds its name as alias. */
export async function policeNetworkConnect(
  body: Json,
  action: string,
  network: Resolved,
  context: PolicyContext,
): Promise<Json> {
  const reference = typeof body.Container === 'string' ? body.Container : '';
  const resolved = await context.lookups.container(reference);
  if (resolved.kind !== 'own')
    throw notFound(`No such container: ${reference}`, 'container', reference, resolved);
  const result: Json = { ...body, Container: resolved.id };
  if (action === 'connect')
    checkEndpointAddress(
      body.EndpointConfig,
      network.kind === 'own' || network.kind === 'builtin' ? network.name : 'this network',
    );
  if (action === 'connect' && network.kind === 'own') {
    const studentName = studentNameOf(resolved, context.names);
    const endpoint: Json = isRecord(body.EndpointConfig) ? { ...body.EndpointConfig } : {};
    if (studentName !== undefined)
      endpoint.Aliases = [...new Set([...strings(endpoint.Aliases), studentName])];
    result.EndpointConfig = endpoint;
  }
  return result;
}

/** Query of POST /build: scoped tags, the run's labels, no host network, the grader's memory cap. */
export async function policeBuildQuery(
  query: URLSearchParams,
  context: PolicyContext,
): Promise<URLSearchParams> {
  const result = new URLSearchParams(query);
  const refused = buildQueryRefusal(query);
  if (refused !== undefined) throw new Refusal(refused);
  const remote = query.get('remote');
  if (remote !== null && remote !== '') {
    throw new Refusal(
      'building from a URL or Git repository is not allowed: build from a folder of the submission',
    );
  }
  const networkMode = query.get('networkmode') ?? '';
  if (networkMode === 'host' || networkMode.startsWith('container:')) {
    throw new Refusal(`build network ${networkMode} is not allowed (--network)`);
  }
  // Named like a container's network: by the student's name, an id or a prefix, all resolved.
  if (networkMode !== '' && !BUILTIN_NETWORKS.has(networkMode)) {
    const resolved = await ownNetwork(networkMode, context);
    result.set('networkmode', resolved.name);
  }
  if ((query.get('cgroupparent') ?? '') !== '')
    throw new Refusal('a cgroup parent is not allowed (--cgroup-parent)');
  result.delete('t');
  for (const tag of query.getAll('t')) {
    const real = context.names.realImage(tag);
    if (real === undefined) throw new Refusal(`invalid tag "${tag}"`, 400);
    result.append('t', real);
  }
  let labels: Json = {};
  try {
    const parsed: unknown = JSON.parse(query.get('labels') || '{}');
    if (isRecord(parsed)) labels = parsed;
  } catch {
    throw new Refusal('invalid labels of the build', 400);
  }
  const firstTag = query.getAll('t')[0];
  result.set(
    'labels',
    JSON.stringify(
      stampLabels(
        labels,
        context.runLabels,
        withOwnLabelsSet(firstTag !== undefined ? { [STUDENT_NAME_LABEL]: firstTag } : {}),
      ),
    ),
  );
  const memory = Number(query.get('memory') ?? '0');
  const capped = memory > 0 ? Math.min(memory, HARDENED_LIMITS.memory) : HARDENED_LIMITS.memory;
  result.set('memory', String(capped));
  result.set('memswap', String(capped));
  // The build's RUN containers get the profile of the student's own containers: one CPU by
  // period and quota (a build takes no NanoCpus), no more than the default CPU weight, /dev/shm
  // within the memory cap, and the grader's ulimits.
  result.set('cpuperiod', String(BUILD_CPU_PERIOD));
  result.set('cpuquota', String((BUILD_CPU_PERIOD * HARDENED_LIMITS.nanoCpus) / 1e9));
  const shares = Number(query.get('cpushares') ?? '0');
  if (!(shares >= 0 && shares <= DEFAULT_CPU_SHARES)) result.set('cpushares', String(DEFAULT_CPU_SHARES));
  const shm = Number(query.get('shmsize') ?? '0');
  if (!(shm >= 0 && shm <= HARDENED_LIMITS.memory)) result.set('shmsize', String(HARDENED_LIMITS.memory));
  result.set('ulimits', JSON.stringify(hardenedUlimits(parseUlimits(query.get('ulimits')))));
  // Intermediate containers of a failed step would stay behind, unlabelled: always removed.
  result.set('rm', '1');
  result.set('forcerm', '1');
  return result;
}
