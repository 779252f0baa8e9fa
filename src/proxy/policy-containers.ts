// The rules of container creates, updates and execs: the profile (policy-profile.ts), the
// mounts (policy-mounts.ts), the run's own containers, networks and images by the student's
// names, published ports on 127.0.0.1 and ephemeral, and the restart policy of a container that
// binds a host folder kept by the gate (docs/security.md, boundary 2).

import { HARDENED_LIMITS } from '../engine/engine';
import { type RestartPolicyValue, requestedRestartPolicy } from '../engine/wire/docker-mapping';
import { UNRESOLVED_NETWORK_MODES } from '../naming/engine-networks';
import { RESTART_LABEL, STUDENT_NAME_LABEL, STUDENT_PORTS_LABEL, withOwnLabelsSet } from '../naming/labels';
import {
  imageToUse,
  isRecord,
  type Json,
  ownContainer,
  ownNetwork,
  type PolicyContext,
  Refusal,
  type SandboxPolicy,
  stampLabels,
  strings,
} from './policy';
import {
  checkBinds,
  checkMounts,
  containerHasBindMount,
  hasBindMount,
  labelAnonymousVolumes,
} from './policy-mounts';
import { checkEndpointAddress } from './policy-networks';
import {
  allowedCapabilities,
  checkSecurityOptions,
  HOST_NAMESPACES,
  hardenedUlimits,
  hardenResources,
  normalisedCapability,
  SAFE_SYSCTLS,
} from './policy-profile';

async function namespaceMode(value: string, context: PolicyContext): Promise<string> {
  if (value.startsWith('container:')) {
    return `container:${await ownContainer(value.slice('container:'.length), context)}`;
  }
  return value;
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
  } else if (networkMode !== '' && !UNRESOLVED_NETWORK_MODES.has(networkMode)) {
    const resolved = await ownNetwork(networkMode, context, 400);
    hostConfig.NetworkMode = resolved.name;
    userNetwork = resolved.kind === 'own';
  }
  const networking = isRecord(body.NetworkingConfig) ? { ...body.NetworkingConfig } : {};
  if (isRecord(networking.EndpointsConfig)) {
    const endpoints: Json = {};
    for (const [network, endpoint] of Object.entries(networking.EndpointsConfig)) {
      const resolved = UNRESOLVED_NETWORK_MODES.has(network)
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
