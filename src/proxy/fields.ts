// The Engine API's field names as the engine reads them. Go's encoding/json matches an object key
// to a struct field case-insensitively (with Unicode simple folding: `ſ` is an `s`, the Kelvin
// sign `K` a `k`), so `{"hostconfig":{"privileged":true}}` is a privileged container to the
// engine. The policy reads fields by their exact names: every request body is brought to the
// canonical spelling first, and what the policy checked is what the engine gets.
import { Refusal } from './refusal';

/** container.Config: the top-level keys of a container create body (with its wrapper) and commit. */
export const CONTAINER_CONFIG_FIELDS = [
  'Hostname',
  'Domainname',
  'User',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'ExposedPorts',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'Env',
  'Cmd',
  'Healthcheck',
  'ArgsEscaped',
  'Image',
  'Volumes',
  'WorkingDir',
  'Entrypoint',
  'NetworkDisabled',
  'MacAddress',
  'OnBuild',
  'Labels',
  'StopSignal',
  'StopTimeout',
  'Shell',
] as const;

/** container.Resources: embedded in HostConfig, and the body of a container update. */
export const RESOURCES_FIELDS = [
  'CpuShares',
  'Memory',
  'NanoCpus',
  'CgroupParent',
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'Devices',
  'DeviceCgroupRules',
  'DeviceRequests',
  'KernelMemory',
  'KernelMemoryTCP',
  'MemoryReservation',
  'MemorySwap',
  'MemorySwappiness',
  'OomKillDisable',
  'PidsLimit',
  'Ulimits',
  'CpuCount',
  'CpuPercent',
  'IOMaximumIOps',
  'IOMaximumBandwidth',
] as const;

/**
 * Fields of the request bodies the proxy reads (API 1.41: container create and update, exec
 * create and start, network create/connect/disconnect, volume create), with their embedded and
 * nested structs. A key that folds to none of them is one the engine ignores as well.
 */
const FIELD_NAMES = [
  ...CONTAINER_CONFIG_FIELDS,
  // container.HealthConfig
  'Test',
  'Interval',
  'Timeout',
  'StartPeriod',
  'StartInterval',
  'Retries',
  // the create wrapper
  'HostConfig',
  'NetworkingConfig',
  // container.HostConfig
  'Binds',
  'ContainerIDFile',
  'LogConfig',
  'NetworkMode',
  'PortBindings',
  'RestartPolicy',
  'AutoRemove',
  'VolumeDriver',
  'VolumesFrom',
  'ConsoleSize',
  'Annotations',
  'CapAdd',
  'CapDrop',
  'CgroupnsMode',
  'Dns',
  'DnsOptions',
  'DnsSearch',
  'ExtraHosts',
  'GroupAdd',
  'IpcMode',
  'Cgroup',
  'Links',
  'OomScoreAdj',
  'PidMode',
  'Privileged',
  'PublishAllPorts',
  'ReadonlyRootfs',
  'SecurityOpt',
  'StorageOpt',
  'Tmpfs',
  'UTSMode',
  'UsernsMode',
  'ShmSize',
  'Sysctls',
  'Runtime',
  'Isolation',
  'Mounts',
  'MaskedPaths',
  'ReadonlyPaths',
  'Init',
  ...RESOURCES_FIELDS,
  // RestartPolicy, LogConfig, PortBinding, Ulimit, devices, throttles
  'Name',
  'MaximumRetryCount',
  'Type',
  'Config',
  'HostIp',
  'HostPort',
  'Soft',
  'Hard',
  'PathOnHost',
  'PathInContainer',
  'CgroupPermissions',
  'Driver',
  'Count',
  'DeviceIDs',
  'Capabilities',
  'Options',
  'Path',
  'Weight',
  'Rate',
  // mount.Mount
  'Source',
  'Target',
  'ReadOnly',
  'Consistency',
  'BindOptions',
  'Propagation',
  'NonRecursive',
  'CreateMountpoint',
  'VolumeOptions',
  'NoCopy',
  'DriverConfig',
  'Subpath',
  'TmpfsOptions',
  'SizeBytes',
  'Mode',
  // network.NetworkingConfig and EndpointSettings
  'EndpointsConfig',
  'IPAMConfig',
  'IPv4Address',
  'IPv6Address',
  'LinkLocalIPs',
  'Aliases',
  'NetworkID',
  'EndpointID',
  'Gateway',
  'IPAddress',
  'IPPrefixLen',
  'IPv6Gateway',
  'GlobalIPv6Address',
  'GlobalIPv6PrefixLen',
  'DriverOpts',
  // exec create and start
  'Detach',
  'DetachKeys',
  // network create, connect, disconnect
  'CheckDuplicate',
  'Scope',
  'EnableIPv6',
  'IPAM',
  'Subnet',
  'IPRange',
  'AuxiliaryAddresses',
  'Internal',
  'Attachable',
  'Ingress',
  'ConfigOnly',
  'ConfigFrom',
  'Network',
  'Container',
  'EndpointConfig',
  'Force',
  // volume create
  'ClusterVolumeSpec',
];

/**
 * Maps whose keys are the student's data (label names, sysctls, paths, ports, network names,
 * driver options): their keys stay as they are, their values are read as structs again.
 */
const USER_KEYED = new Set([
  'Labels',
  'Sysctls',
  'Tmpfs',
  'ExposedPorts',
  'Volumes',
  'PortBindings',
  'EndpointsConfig',
  'DriverOpts',
  'Options',
  'StorageOpt',
  'Annotations',
  'AuxiliaryAddresses',
  // LogConfig.Config (IPAM.Config is a list of structs, read as such)
  'Config',
]);

/** Go's folding of a key for the comparison with field names (bytes.EqualFold on ASCII names). */
export function foldFieldName(key: string): string {
  let folded = '';
  for (const character of key) {
    if (character === '\u017f') folded += 's';
    else if (character === '\u212a') folded += 'k';
    else if (character.charCodeAt(0) < 0x80) folded += character.toLowerCase();
    else folded += character;
  }
  return folded;
}

/** No Engine API body nests deeper; a deeper one is refused rather than walked. */
const MAX_DEPTH = 64;

const CANONICAL = new Map(FIELD_NAMES.map((name) => [foldFieldName(name), name]));

/** The field name the engine reads a key as, when it is one the proxy knows. */
export function canonicalFieldName(key: string): string | undefined {
  return CANONICAL.get(foldFieldName(key));
}

function shown(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}...` : key;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  // A key "__proto__" is data here, never the object's prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A request body with every struct key in its canonical spelling. Two keys of one object that
 * the engine would read as the same field (`Privileged` and `privileged`) are refused: which one
 * wins is the decoder's business, and the policy must not have to guess.
 */
export function canonicalBody(value: unknown, where = '', depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new Refusal(`the request body is nested deeper than ${MAX_DEPTH} levels`, 400);
  if (Array.isArray(value))
    return value.map((item, index) =>
      canonicalBody(item, `${where.replace(/\.$/, '')}[${index}].`, depth + 1),
    );
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  const spelledAs = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const canonical = canonicalFieldName(key) ?? key;
    const earlier = spelledAs.get(canonical);
    if (earlier !== undefined) {
      throw new Refusal(
        `the request body names the field ${where}${canonical} twice (as "${shown(earlier)}" and "${shown(key)}"): send it once, spelled ${canonical}`,
        400,
      );
    }
    spelledAs.set(canonical, key);
    const path = `${where}${canonical}.`;
    if (USER_KEYED.has(canonical) && typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const map: Record<string, unknown> = {};
      for (const [userKey, entry] of Object.entries(item))
        define(map, userKey, canonicalBody(entry, path, depth + 2));
      define(result, canonical, map);
    } else {
      define(result, canonical, canonicalBody(item, path, depth + 1));
    }
  }
  return result;
}
