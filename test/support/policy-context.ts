// The policy proxy's rules without I/O: a PolicyContext whose lookups (the engine's objects, the
// host's paths) are fakes, for the unit tests of src/proxy/policy-*.ts, filters, fields and ports.
import { runLabels } from '../../src/naming/labels';
import { VirtualNames } from '../../src/naming/virtual-names';
import {
  type PolicyContext,
  type PolicyLookups,
  Refusal,
  type Resolved,
  type ResolvedImage,
} from '../../src/proxy/policy';

/** The run of the unit tests (its id and its exercise's scope), and the labels of its objects. */
export const RUN = 'run1';
export const SCOPE = 'run1-1';
export const RUN_LABELS = runLabels(RUN, SCOPE);
export const SUBMISSION = '/work/submission';

/** What the fake lookups find: objects by reference, symlinks and sockets on the host. */
export interface EngineObjects {
  containers?: Record<string, Resolved>;
  networks?: Record<string, Resolved>;
  volumes?: Record<string, Resolved>;
  images?: Record<string, ResolvedImage>;
  imageVolumes?: string[];
  links?: Record<string, string>;
  sockets?: string[];
}

/** A PolicyContext on `engine`, and the names of the volumes the policy created through it. */
export function policyContext(
  engine: EngineObjects = {},
  policy = { extraCapabilities: [] as string[], publicPorts: false },
) {
  const created: string[] = [];
  const lookups: PolicyLookups = {
    async hostPath(hostPath) {
      let real = hostPath.replace(/\/+$/, '') || '/';
      for (const [link, target] of Object.entries(engine.links ?? {})) {
        if (real === link || real.startsWith(`${link}/`)) real = target + real.slice(link.length);
      }
      const parts: string[] = [];
      for (const part of real.split('/')) {
        if (part === '..') parts.pop();
        else if (part !== '' && part !== '.') parts.push(part);
      }
      real = `/${parts.join('/')}`;
      return { real, socket: (engine.sockets ?? []).includes(real) };
    },
    async container(reference) {
      return engine.containers?.[reference] ?? { kind: 'missing' };
    },
    async network(reference) {
      if (['bridge', 'host', 'none', 'default'].includes(reference))
        return { kind: 'builtin', name: reference };
      return engine.networks?.[reference] ?? { kind: 'missing' };
    },
    async volume(reference) {
      return engine.volumes?.[reference] ?? { kind: 'missing' };
    },
    async image(reference) {
      return engine.images?.[reference] ?? { kind: 'base', reference };
    },
    async createVolume(name) {
      created.push(name);
    },
    async imageConfig() {
      return { exposedPorts: ['80/tcp'], volumes: engine.imageVolumes ?? [] };
    },
  };
  const value: PolicyContext = {
    names: new VirtualNames(SCOPE),
    runLabels: RUN_LABELS,
    submissionDir: SUBMISSION,
    policy,
    lookups,
  };
  return { context: value, created };
}

/** An object of the run's own, as a lookup resolves it. */
export function own(name: string, labels: Record<string, string> = {}): Resolved {
  return { kind: 'own', id: `id-of-${name}`, name, labels };
}

/** The Refusal that `promise` (or the call) ends in; throws if it passes or fails otherwise. */
export async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<Refusal> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The host network's id, and an engine where it and a prefix of it name the host network. */
export const HOST_NETWORK_ID = '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988';
export const hostNetworkEngine: EngineObjects = {
  networks: {
    [HOST_NETWORK_ID]: { kind: 'builtin', name: 'host' },
    [HOST_NETWORK_ID.slice(0, 5)]: { kind: 'builtin', name: 'host' },
    backend: own(`${SCOPE}-backend`),
  },
};
