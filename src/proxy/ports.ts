// What the student sees of published ports: the host port asked for (-p 18080:80), not the
// ephemeral one the proxy bound instead, so that `docker ps` and `docker port` read as on a
// private engine. The real ports stay on the engine; checks read STUDENT_PORTS_LABEL.
import { STUDENT_PORTS_LABEL, studentPorts } from '../naming/labels';
import { isRecord, type Json } from './refusal';

function requestedPorts(labels: unknown): Record<string, number[]> {
  if (!isRecord(labels)) return {};
  const label = labels[STUDENT_PORTS_LABEL];
  return studentPorts(typeof label === 'string' ? label : undefined);
}

/** A port map ({"80/tcp": [{HostIp, HostPort}]}) with the n-th binding of a port showing the n-th requested port. */
function mapPortMap(portMap: unknown, requested: Record<string, number[]>): unknown {
  if (!isRecord(portMap)) return portMap;
  return Object.fromEntries(
    Object.entries(portMap).map(([port, bindings]) => {
      const wanted = requested[port];
      if (!Array.isArray(bindings) || wanted === undefined) return [port, bindings];
      return [
        port,
        bindings.map((binding, index) =>
          isRecord(binding) && wanted[index] !== undefined
            ? { ...binding, HostPort: String(wanted[index]) }
            : binding,
        ),
      ];
    }),
  );
}

/** GET /containers/{id}/json. */
export function showRequestedPorts(container: unknown): unknown {
  if (!isRecord(container) || !isRecord(container.Config)) return container;
  const requested = requestedPorts(container.Config.Labels);
  if (Object.keys(requested).length === 0) return container;
  const result: Json = { ...container };
  if (isRecord(container.NetworkSettings)) {
    result.NetworkSettings = {
      ...container.NetworkSettings,
      Ports: mapPortMap(container.NetworkSettings.Ports, requested),
    };
  }
  if (isRecord(container.HostConfig)) {
    result.HostConfig = {
      ...container.HostConfig,
      PortBindings: mapPortMap(container.HostConfig.PortBindings, requested),
    };
  }
  return result;
}

/** GET /containers/json: each summary's Ports [{PrivatePort, PublicPort, Type, IP}]. */
export function showRequestedListPorts(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((summary) => {
    if (!isRecord(summary) || !Array.isArray(summary.Ports)) return summary;
    const requested = requestedPorts(summary.Labels);
    // The n-th distinct host port of a container port is the n-th requested one (IPv4 and IPv6
    // bindings of one port come as separate entries with the same host port).
    const hostPorts = new Map<string, number[]>();
    return {
      ...summary,
      Ports: summary.Ports.map((port) => {
        if (!isRecord(port) || typeof port.PublicPort !== 'number') return port;
        const key = `${port.PrivatePort}/${port.Type}`;
        const seen = hostPorts.get(key) ?? [];
        if (!seen.includes(port.PublicPort)) seen.push(port.PublicPort);
        hostPorts.set(key, seen);
        const index = seen.indexOf(port.PublicPort);
        const wanted = requested[key]?.[index];
        return wanted === undefined ? port : { ...port, PublicPort: wanted };
      }),
    };
  });
}
