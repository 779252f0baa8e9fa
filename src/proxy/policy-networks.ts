// The rules of networks: bridge networks only, addresses the engine's choice (no IPAM, no fixed
// container address: a chosen subnet adds a route on the host), the run's own containers
// connected, by the student's names (docs/security.md, boundary 2).
import { STUDENT_NAME_LABEL } from '../naming/labels';
import {
  isRecord,
  type Json,
  notFound,
  type PolicyContext,
  Refusal,
  type Resolved,
  stampLabels,
  strings,
  studentNameOf,
} from './policy';

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
