// Plans of the container and exec routes: the list narrowed to the run's containers, create
// counted per exercise (allowance.ts), checked (policy-containers.ts) and held to the aggregate
// budget (budget-check.ts); every action on the run's own containers only, a start with its bind
// sources checked again while the submission's writers are paused (bind-freeze.ts).

import { checkArchive, freezeForStart, holdPauseRequest } from './bind-freeze';
import { boundContainerDisk } from './budget-check';
import { filterOptionsFor, keepNamed, narrowListQuery } from './filters';
import type { Plan, PlanGate, PlanRequest, Plans } from './plan';
import { type Json, notFound, Refusal, studentNameOf } from './policy';
import {
  policeContainerCreate,
  policeContainerUpdate,
  policeExecCreate,
  showRequestedRestartPolicy,
} from './policy-containers';
import { recheckBindSources } from './policy-mounts';
import { showRequestedListPorts, showRequestedPorts } from './ports';
import { isRecord } from './refusal';
import { BUILDKIT_REFUSED, isBuildkitFallback } from './routes/builds';
import { visibleContainerList } from './visibility';

export const containerPlans: Plans<'container-list' | 'container-create' | 'container' | 'exec'> = {
  'container-list': async (gate, request) => {
    const { query } = request;
    const byName = narrowListQuery(query, filterOptionsFor(gate.names, gate.labelFilters));
    // The latest n (docker ps -n/-l) of those the names match: counted after the match.
    const limit = Number.parseInt(query.get('limit') ?? '', 10);
    if (byName !== undefined) query.delete('limit');
    return {
      url: request.withQuery('/containers/json'),
      answer: 'json',
      transform: (answer) => {
        const list = visibleContainerList(answer);
        if (byName === undefined || !Array.isArray(list)) return showRequestedListPorts(list);
        const named = keepNamed(list, byName.patterns);
        return showRequestedListPorts(limit > 0 ? named.slice(0, limit) : named);
      },
    };
  },
  'container-create': async (gate, request) => {
    const { query } = request;
    const name = query.get('name') ?? undefined;
    if (name !== undefined && name !== '') {
      if (!gate.names.isName(name)) throw new Refusal(`Invalid container name (${name})`, 400);
      query.set('name', gate.names.real(name));
    }
    const policed = await policeContainerCreate(await request.body(), name || undefined, gate.context);
    // Where the engine bounds a writable layer (StorageOpt size): at most the bound; elsewhere
    // the step's disk watch reads the layers while the step runs (steps/disk-watch.ts).
    const bounded = await boundContainerDisk(gate.upstream, policed, gate.context.runLabels);
    const release = await gate.allowance.reserveContainer(bounded.HostConfig);
    return { url: request.withQuery('/containers/create'), body: bounded, answer: 'json', release };
  },
  container: (gate, request, route) => planContainer(gate, request, route.ref, route.action),
  exec: async (gate, request, route) => {
    const containerId = await gate.lookups.execContainer(route.ref);
    const owner = containerId === undefined ? undefined : await gate.lookups.container(containerId);
    if (owner?.kind !== 'own') {
      throw notFound(
        `No such exec instance: ${route.ref}`,
        'exec instance',
        route.ref,
        owner ?? { kind: 'missing' },
      );
    }
    const who = studentNameOf(owner, gate.names) ?? gate.names.unscope(owner.name);
    return {
      ...request.same,
      answer: route.action === 'json' ? 'json' : 'pipe',
      ...(route.action === 'start'
        ? { describe: `running a command in container ${who} (docker exec)` }
        : {}),
    };
  },
};

async function planContainer(
  gate: PlanGate,
  request: PlanRequest,
  reference: string,
  action: string,
): Promise<Plan> {
  if (isBuildkitFallback(reference)) throw new Refusal(BUILDKIT_REFUSED);
  const { query } = request;
  const resolved = await gate.lookups.container(reference);
  if (resolved.kind !== 'own')
    throw notFound(`No such container: ${reference}`, 'container', reference, resolved);
  const who = studentNameOf(resolved, gate.names) ?? gate.names.unscope(resolved.name);
  const url = (params: URLSearchParams = query): string =>
    request.withQuery(
      action === 'remove' ? `/containers/${resolved.id}` : `/containers/${resolved.id}/${action}`,
      params,
    );
  switch (action) {
    case 'json':
      return {
        url: url(),
        answer: 'json',
        transform: (container) => showRequestedRestartPolicy(showRequestedPorts(container)),
      };
    case 'logs': {
      const follow = ['1', 'true'].includes(query.get('follow') ?? '');
      return {
        url: url(),
        answer: 'pipe',
        ...(follow ? { describe: `following the logs of container ${who} (docker logs -f)` } : {}),
      };
    }
    case 'attach':
    case 'attach/ws':
      return {
        url: url(),
        answer: 'pipe',
        describe: `attached to container ${who} (docker run without -d, or docker attach)`,
      };
    case 'wait':
      return {
        url: url(),
        answer: 'pipe',
        describe: `waiting for container ${who} to exit (docker run without -d, or docker wait)`,
      };
    case 'stats': {
      const stream = !['0', 'false'].includes(query.get('stream') ?? '1');
      return {
        url: url(),
        answer: 'pipe',
        ...(stream ? { describe: `streaming stats of container ${who}` } : {}),
      };
    }
    case 'exec':
      return { url: url(), body: policeExecCreate(await request.body()), answer: 'json' };
    case 'update': {
      const update: Json = await request.body();
      const details = isRecord(update.RestartPolicy)
        ? await gate.lookups.containerDetails(resolved.id)
        : undefined;
      return { url: url(), body: policeContainerUpdate(update, { who, details }), answer: 'json' };
    }
    case 'rename': {
      const name = query.get('name') ?? '';
      if (!gate.names.isName(name)) throw new Refusal(`Invalid container name (${name})`, 400);
      const params = new URLSearchParams(query);
      params.set('name', gate.names.real(name));
      return { url: url(params), answer: 'json' };
    }
    case 'start':
    case 'restart': {
      await gate.allowance.checkPorts(resolved);
      // A bind source checked at create may have been swapped for a symlink out since: checked
      // again, and mounted, with every writer of the submission paused (bind-freeze.ts).
      const details = await gate.lookups.containerDetails(resolved.id);
      const thaw = await freezeForStart(
        gate.upstream,
        gate.runId,
        details,
        action === 'restart' ? { stopSeconds: query.get('t') } : undefined,
      );
      try {
        if (details !== undefined) await recheckBindSources(details, gate.context);
      } catch (error) {
        await thaw();
        throw error;
      }
      return {
        url: url(),
        answer: 'json',
        describe: `starting container ${who}`,
        release: () => void thaw(),
      };
    }
    case 'pause':
    case 'unpause':
      return { url: url(), answer: 'pipe', release: await holdPauseRequest(gate.runId) };
    case 'archive':
      checkArchive(await gate.lookups.containerDetails(resolved.id), who);
      return { url: url(), answer: 'pipe' };
    case 'stop':
      return { url: url(), answer: 'json', describe: `stopping container ${who}` };
    default:
      return { url: url(), answer: 'pipe' };
  }
}
